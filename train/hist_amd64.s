//go:build amd64 && !purego

#include "go_asm.h"
#include "textflag.h"

// Each row's float32 gradient and hessian are widened to a pair of float64
// (CVTPS2PD) and added to one 16-byte hbin of each of four histograms
// (ADDPD): lane by lane the same IEEE operations as the Go loop.

// QUAD loads the four histograms of h+0(FP) into R8…R11 and the four
// columns of c+8(FP) into R12, R13, R14, BX.
#define QUAD \
	MOVQ h+0(FP), AX \
	MOVQ 0(AX), R8 \
	MOVQ 8(AX), R9 \
	MOVQ 16(AX), R10 \
	MOVQ 24(AX), R11 \
	MOVQ c+8(FP), AX \
	MOVQ 0(AX), R12 \
	MOVQ 8(AX), R13 \
	MOVQ 16(AX), R14 \
	MOVQ 24(AX), BX

// ADDBIN adds X0 to the bin of column col at row of the histogram at
// hist+off (off 0, or const_histBBytes for the second histograms of a
// split pass), with tmp and xmm as scratch.
#define ADDBIN(col, hist, off, row, tmp, xmm) \
	MOVBQZX (col)(row*1), tmp \
	SHLQ    $4, tmp \
	MOVUPD  off(hist)(tmp*1), xmm \
	ADDPD   X0, xmm \
	MOVUPD  xmm, off(hist)(tmp*1)

// ADDROWk widens the gradient pair at gh and adds it to row's bins of the
// first k histograms, at off past each.
#define ADDROW1(gh, row, tmp, off) \
	MOVQ     gh, X0 \
	CVTPS2PD X0, X0 \
	ADDBIN(R12, R8, off, row, tmp, X1)

#define ADDROW2(gh, row, tmp, off) \
	ADDROW1(gh, row, tmp, off) \
	ADDBIN(R13, R9, off, row, tmp, X2)

#define ADDROW3(gh, row, tmp, off) \
	ADDROW2(gh, row, tmp, off) \
	ADDBIN(R14, R10, off, row, tmp, X3)

#define ADDROW4(gh, row, tmp, off) \
	ADDROW3(gh, row, tmp, off) \
	ADDBIN(BX, R11, off, row, tmp, X4)

// ROWSTEP sums the row at SI with ADDROW at off and moves SI and DI on;
// it jumps to done at a row outside [0, n).
#define ROWSTEP(ADDROW, off) \
	MOVLQSX (SI), AX \
	CMPQ    AX, DX \
	JAE     done \
	ADDROW((DI), AX, R15, off) \
	ADDQ    $4, SI \
	ADDQ    $8, DI

// SUMROWS is the body of sumkRows, rows in order, with STEPS the loop's
// body (ONE or TWO of an ADDROWk): it stops at the first row outside
// [0, n) and returns how many rows it summed.
#define SUMROWS(STEPS) \
	QUAD \
	MOVQ n+16(FP), DX \
	MOVQ rows_base+24(FP), SI \
	MOVQ rows_len+32(FP), CX \
	MOVQ ogh_base+48(FP), DI \
	LEAQ (SI)(CX*4), CX \
	CMPQ SI, CX \
	JAE  done \
loop: \
	STEPS \
	CMPQ    SI, CX \
	JB      loop \
done: \
	MOVQ rows_base+24(FP), AX \
	SUBQ AX, SI \
	SHRQ $2, SI \
	MOVQ SI, ret+72(FP) \
	RET

// ONE sums a row into the first histograms; TWO sums a row into the
// first and the next into the second (a split pass).
#define ONE(ADDROW) ROWSTEP(ADDROW, 0)

#define TWO(ADDROW) \
	ROWSTEP(ADDROW, 0) \
	CMPQ SI, CX \
	JAE  done \
	ROWSTEP(ADDROW, const_histBBytes)

// ALLSTEP sums row SI with ADDROW at off and moves SI on.
#define ALLSTEP(ADDROW, off) \
	ADDROW((DI)(SI*8), SI, AX, off) \
	INCQ SI

// ALLONE and ALLTWO are ONE and TWO over every row.
#define ALLONE(ADDROW) ALLSTEP(ADDROW, 0)

#define ALLTWO(ADDROW) \
	ALLSTEP(ADDROW, 0) \
	CMPQ SI, CX \
	JAE  end \
	ALLSTEP(ADDROW, const_histBBytes)

// SUMALL is the body of sumkAll: every row 0…len(ogh)-1, STEPS the loop's
// body (ALLONE or ALLTWO).
#define SUMALL(STEPS) \
	QUAD \
	MOVQ ogh_base+16(FP), DI \
	MOVQ ogh_len+24(FP), CX \
	XORQ SI, SI \
	CMPQ SI, CX \
	JAE  end \
next: \
	STEPS \
	CMPQ    SI, CX \
	JB      next \
end: \
	RET

// A negative row compares as huge (JAE is unsigned) and stops the pass.
// The kernels named ...2 split the pass (histPass.two).

// func sum1Rows(h *[5]*[256]hbin, c *[5]*uint8, n int, rows []int32, ogh []gh) int
TEXT ·sum1Rows(SB), NOSPLIT, $0-80
	SUMROWS(ONE(ADDROW1))

// func sum1Rows2(h *[5]*[256]hbin, c *[5]*uint8, n int, rows []int32, ogh []gh) int
TEXT ·sum1Rows2(SB), NOSPLIT, $0-80
	SUMROWS(TWO(ADDROW1))

// func sum2Rows(h *[5]*[256]hbin, c *[5]*uint8, n int, rows []int32, ogh []gh) int
TEXT ·sum2Rows(SB), NOSPLIT, $0-80
	SUMROWS(ONE(ADDROW2))

// func sum2Rows2(h *[5]*[256]hbin, c *[5]*uint8, n int, rows []int32, ogh []gh) int
TEXT ·sum2Rows2(SB), NOSPLIT, $0-80
	SUMROWS(TWO(ADDROW2))

// func sum3Rows(h *[5]*[256]hbin, c *[5]*uint8, n int, rows []int32, ogh []gh) int
TEXT ·sum3Rows(SB), NOSPLIT, $0-80
	SUMROWS(ONE(ADDROW3))

// func sum3Rows2(h *[5]*[256]hbin, c *[5]*uint8, n int, rows []int32, ogh []gh) int
TEXT ·sum3Rows2(SB), NOSPLIT, $0-80
	SUMROWS(TWO(ADDROW3))

// func sum4Rows(h *[5]*[256]hbin, c *[5]*uint8, n int, rows []int32, ogh []gh) int
TEXT ·sum4Rows(SB), NOSPLIT, $0-80
	SUMROWS(ONE(ADDROW4))

// func sum4Rows2(h *[5]*[256]hbin, c *[5]*uint8, n int, rows []int32, ogh []gh) int
TEXT ·sum4Rows2(SB), NOSPLIT, $0-80
	SUMROWS(TWO(ADDROW4))

// func sum1All(h *[5]*[256]hbin, c *[5]*uint8, ogh []gh)
TEXT ·sum1All(SB), NOSPLIT, $0-40
	SUMALL(ALLONE(ADDROW1))

// func sum1All2(h *[5]*[256]hbin, c *[5]*uint8, ogh []gh)
TEXT ·sum1All2(SB), NOSPLIT, $0-40
	SUMALL(ALLTWO(ADDROW1))

// func sum2All(h *[5]*[256]hbin, c *[5]*uint8, ogh []gh)
TEXT ·sum2All(SB), NOSPLIT, $0-40
	SUMALL(ALLONE(ADDROW2))

// func sum2All2(h *[5]*[256]hbin, c *[5]*uint8, ogh []gh)
TEXT ·sum2All2(SB), NOSPLIT, $0-40
	SUMALL(ALLTWO(ADDROW2))

// func sum3All(h *[5]*[256]hbin, c *[5]*uint8, ogh []gh)
TEXT ·sum3All(SB), NOSPLIT, $0-40
	SUMALL(ALLONE(ADDROW3))

// func sum3All2(h *[5]*[256]hbin, c *[5]*uint8, ogh []gh)
TEXT ·sum3All2(SB), NOSPLIT, $0-40
	SUMALL(ALLTWO(ADDROW3))

// func sum4All(h *[5]*[256]hbin, c *[5]*uint8, ogh []gh)
TEXT ·sum4All(SB), NOSPLIT, $0-40
	SUMALL(ALLONE(ADDROW4))

// func sum4All2(h *[5]*[256]hbin, c *[5]*uint8, ogh []gh)
TEXT ·sum4All2(SB), NOSPLIT, $0-40
	SUMALL(ALLTWO(ADDROW4))

// ADDROW5 is ADDROW4 and the fifth histogram, DX, and column, R15.
#define ADDROW5(gh, row, tmp, off) \
	ADDROW4(gh, row, tmp, off) \
	ADDBIN(R15, DX, off, row, tmp, X5)

// LOAD5 loads the fifth histogram into DX and column into R15.
#define LOAD5 \
	MOVQ h+0(FP), AX \
	MOVQ 32(AX), DX \
	MOVQ c+8(FP), AX \
	MOVQ 32(AX), R15

// func sum5All(h *[5]*[256]hbin, c *[5]*uint8, ogh []gh)
TEXT ·sum5All(SB), NOSPLIT, $0-40
	LOAD5
	SUMALL(ALLONE(ADDROW5))

// func sum5All2(h *[5]*[256]hbin, c *[5]*uint8, ogh []gh)
TEXT ·sum5All2(SB), NOSPLIT, $0-40
	LOAD5
	SUMALL(ALLTWO(ADDROW5))
