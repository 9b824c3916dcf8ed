//go:build amd64 && !purego

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

// ADDBIN adds X0 to the bin of column col at row of histogram hist, with
// tmp and xmm as scratch.
#define ADDBIN(col, hist, row, tmp, xmm) \
	MOVBQZX (col)(row*1), tmp \
	SHLQ    $4, tmp \
	MOVUPD  (hist)(tmp*1), xmm \
	ADDPD   X0, xmm \
	MOVUPD  xmm, (hist)(tmp*1)

// ADDROWk widens the gradient pair at gh and adds it to row's bins of the
// first k histograms.
#define ADDROW1(gh, row, tmp) \
	MOVQ     gh, X0 \
	CVTPS2PD X0, X0 \
	ADDBIN(R12, R8, row, tmp, X1)

#define ADDROW2(gh, row, tmp) \
	ADDROW1(gh, row, tmp) \
	ADDBIN(R13, R9, row, tmp, X2)

#define ADDROW3(gh, row, tmp) \
	ADDROW2(gh, row, tmp) \
	ADDBIN(R14, R10, row, tmp, X3)

#define ADDROW4(gh, row, tmp) \
	ADDROW3(gh, row, tmp) \
	ADDBIN(BX, R11, row, tmp, X4)

// SUMROWS is the body of sumkRows, rows in order, with ADDROW the row's
// addition: it stops at the first row outside [0, n) and returns how many
// rows it summed.
#define SUMROWS(ADDROW) \
	QUAD \
	MOVQ n+16(FP), DX \
	MOVQ rows_base+24(FP), SI \
	MOVQ rows_len+32(FP), CX \
	MOVQ ogh_base+48(FP), DI \
	LEAQ (SI)(CX*4), CX \
	CMPQ SI, CX \
	JAE  done \
loop: \
	MOVLQSX (SI), AX \
	CMPQ    AX, DX \
	JAE     done \
	ADDROW((DI), AX, R15) \
	ADDQ    $4, SI \
	ADDQ    $8, DI \
	CMPQ    SI, CX \
	JB      loop \
done: \
	MOVQ rows_base+24(FP), AX \
	SUBQ AX, SI \
	SHRQ $2, SI \
	MOVQ SI, ret+72(FP) \
	RET

// SUMALL is the body of sumkAll: every row 0…len(ogh)-1.
#define SUMALL(ADDROW) \
	QUAD \
	MOVQ ogh_base+16(FP), DI \
	MOVQ ogh_len+24(FP), CX \
	XORQ SI, SI \
	CMPQ SI, CX \
	JAE  end \
next: \
	ADDROW((DI)(SI*8), SI, AX) \
	INCQ    SI \
	CMPQ    SI, CX \
	JB      next \
end: \
	RET

// A negative row compares as huge (JAE is unsigned) and stops the pass.

// func sum1Rows(h *[5]*[256]hbin, c *[5]*uint8, n int, rows []int32, ogh []gh) int
TEXT ·sum1Rows(SB), NOSPLIT, $0-80
	SUMROWS(ADDROW1)

// func sum2Rows(h *[5]*[256]hbin, c *[5]*uint8, n int, rows []int32, ogh []gh) int
TEXT ·sum2Rows(SB), NOSPLIT, $0-80
	SUMROWS(ADDROW2)

// func sum3Rows(h *[5]*[256]hbin, c *[5]*uint8, n int, rows []int32, ogh []gh) int
TEXT ·sum3Rows(SB), NOSPLIT, $0-80
	SUMROWS(ADDROW3)

// func sum4Rows(h *[5]*[256]hbin, c *[5]*uint8, n int, rows []int32, ogh []gh) int
TEXT ·sum4Rows(SB), NOSPLIT, $0-80
	SUMROWS(ADDROW4)

// func sum1All(h *[5]*[256]hbin, c *[5]*uint8, ogh []gh)
TEXT ·sum1All(SB), NOSPLIT, $0-40
	SUMALL(ADDROW1)

// func sum2All(h *[5]*[256]hbin, c *[5]*uint8, ogh []gh)
TEXT ·sum2All(SB), NOSPLIT, $0-40
	SUMALL(ADDROW2)

// func sum3All(h *[5]*[256]hbin, c *[5]*uint8, ogh []gh)
TEXT ·sum3All(SB), NOSPLIT, $0-40
	SUMALL(ADDROW3)

// func sum4All(h *[5]*[256]hbin, c *[5]*uint8, ogh []gh)
TEXT ·sum4All(SB), NOSPLIT, $0-40
	SUMALL(ADDROW4)

// ADDROW5 is ADDROW4 and the fifth histogram, DX, and column, R15.
#define ADDROW5(gh, row, tmp) \
	ADDROW4(gh, row, tmp) \
	ADDBIN(R15, DX, row, tmp, X5)

// func sum5All(h *[5]*[256]hbin, c *[5]*uint8, ogh []gh)
TEXT ·sum5All(SB), NOSPLIT, $0-40
	MOVQ h+0(FP), AX
	MOVQ 32(AX), DX
	MOVQ c+8(FP), AX
	MOVQ 32(AX), R15
	SUMALL(ADDROW5)

