package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"leadscore/predict"
)

// TestBrowser opens the pages leadscore writes in a real browser (Debian's
// chromium-headless-shell; .ci/run installs it, and the test is skipped
// without it): the demo's call list, whose rows, grade filter, count and
// sorting it uses as sales would, and the model report, the backtest's
// evaluation and the closed-loop report, whose charts must keep every
// label inside the drawing. Any error on a page's console fails the test.
func TestBrowser(t *testing.T) {
	exe, err := exec.LookPath("chromium-headless-shell")
	if err != nil {
		t.Skip("chromium-headless-shell is not installed (apt-get install chromium-headless-shell)")
	}
	dir, _ := sharedDemo(t)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // start the browser
		t.Fatal(err)
	}
	run := filepath.Join(dir, "runs", "latest")
	ranked, err := predict.ReadRankedFile(filepath.Join(run, "ranked.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	perQueue, gradeA := map[string]int{}, 0
	for _, r := range ranked {
		if perQueue[r.Queue] < predict.CallListPerQueue {
			perQueue[r.Queue]++
			if r.Grade == "A" {
				gradeA++
			}
		}
	}
	onPage := 0
	for _, n := range perQueue {
		onPage += n
	}

	page(t, ctx, filepath.Join(run, "calllist.html"), func() {
		n := eval[int](t, ctx, `document.querySelectorAll("tr.lead").length`)
		if n != onPage {
			t.Errorf("%d leads on the page, want %d", n, onPage)
		}
		eval[bool](t, ctx, `(function(){var s=document.getElementById("grade"); s.value="A"; s.dispatchEvent(new Event("change")); return true})()`)
		visible := eval[int](t, ctx, `Array.from(document.querySelectorAll("tr.lead")).filter(r => !r.hidden && r.offsetParent !== null).length`)
		count := eval[string](t, ctx, `document.getElementById("count").textContent`)
		if visible != gradeA || count != fmt.Sprintf("%d of %d leads shown", gradeA, onPage) {
			t.Errorf("filtered to grade A: %d rows visible, %q; want %d", visible, count, gradeA)
		}
		// Sort the first table by score, ascending, with a click.
		asc := eval[bool](t, ctx, `(function(){
			var th = Array.from(document.querySelectorAll("table")[0].tHead.rows[0].cells).find(c => c.textContent === "score");
			th.click();
			var s = Array.from(document.querySelectorAll("table")[0].tBodies[0].rows).map(r => parseFloat(r.cells[2].textContent));
			return s.every((v, i) => i === 0 || s[i-1] <= v);
		})()`)
		if !asc {
			t.Error("a click on score does not sort the table by score")
		}
	})
	loop := filepath.Join(t.TempDir(), "report.html")
	if code, _, errs := runCLI(t, "report", "--runs", filepath.Join(dir, "backtest", "runs"), "--deals", filepath.Join(dir, "data", "deals.parquet"), "--html", loop, "-q"); code != 0 {
		t.Fatalf("report: %s", errs)
	}
	for _, p := range []string{filepath.Join(run, "model", "report.html"), filepath.Join(dir, "backtest", "evaluate-2024-10-01.html"), loop} {
		page(t, ctx, p, func() {
			charts := eval[int](t, ctx, `document.querySelectorAll("svg").length`)
			outside := eval[[]string](t, ctx, `(function(){
				var out = [];
				document.querySelectorAll("svg").forEach(function (svg, k) {
					// The drawing's own box, inside any border.
					var o = svg.getBoundingClientRect(), l = o.left + svg.clientLeft, tp = o.top + svg.clientTop;
					var b = {left: l, right: l + svg.clientWidth, top: tp, bottom: tp + svg.clientHeight};
					svg.querySelectorAll("text").forEach(function (t) {
						var r = t.getBoundingClientRect();
						if (r.width > 0 && (r.left < b.left || r.right > b.right || r.top < b.top || r.bottom > b.bottom)) out.push("chart " + k + ": " + t.textContent + [r.left-b.left, b.right-r.right, r.top-b.top, b.bottom-r.bottom].map(x => " " + x.toFixed(1)).join(""));
					});
				});
				return out;
			})()`)
			if charts == 0 || len(outside) > 0 {
				t.Errorf("%s: %d charts; labels cut at the edge: %v", filepath.Base(p), charts, outside)
			}
		})
	}
}

// page opens a file, runs check, and fails the test on any error the page
// wrote to its console meanwhile.
func page(t *testing.T, ctx context.Context, path string, check func()) {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	messages := chromedp.Console(cctx)
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path)); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	check()
	eval[bool](t, ctx, `(console.log("leadscore-test-done"), true)`)
	for m, err := range messages {
		if err != nil {
			t.Fatalf("%s: reading the console: %v", filepath.Base(path), err)
		}
		if m.Text == "leadscore-test-done" {
			return
		}
		if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
			t.Errorf("%s: console %s: %s", filepath.Base(path), m.Type, m.Text)
		}
	}
}

// eval evaluates a script on the page and returns its value.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}
