//go:build amd64 && !purego

#include "textflag.h"

// Two rows at a time in the two lanes of SSE2 registers: the same IEEE
// operations as gradientsGo, lane by lane (packed division has twice the
// throughput of two scalar ones), then the pairs narrowed to float32 and
// interleaved as gh{g, h}.

DATA gradOne<>+0(SB)/8, $0x3ff0000000000000   // 1.0
DATA gradOne<>+8(SB)/8, $0x3ff0000000000000
GLOBL gradOne<>(SB), RODATA|NOPTR, $16

DATA gradFloor<>+0(SB)/8, $0x3c9cd2b297d889bc // 1e-16
DATA gradFloor<>+8(SB)/8, $0x3c9cd2b297d889bc
GLOBL gradFloor<>(SB), RODATA|NOPTR, $16

// func gradientsSSE2(against []float64, y []float32, leaf []int32, factor []float64, out []gh) int
TEXT ·gradientsSSE2(SB), NOSPLIT, $0-128
	MOVQ against_base+0(FP), SI
	MOVQ against_len+8(FP), CX
	MOVQ y_base+24(FP), DI
	MOVQ leaf_base+48(FP), R8
	MOVQ factor_base+72(FP), R9
	MOVQ factor_len+80(FP), R10
	MOVQ out_base+96(FP), R11
	MOVUPD gradOne<>(SB), X14
	MOVUPD gradFloor<>(SB), X15
	XORQ AX, AX

pairs:
	LEAQ 2(AX), BX
	CMPQ BX, CX
	JA   single
	MOVLQSX (R8)(AX*4), DX
	MOVLQSX 4(R8)(AX*4), BX
	CMPQ DX, R10
	JAE  single               // a leaf out of range: the single loop stops at it
	CMPQ BX, R10
	JAE  single
	MOVSD  (R9)(DX*8), X0
	MOVHPD (R9)(BX*8), X0     // factor[leaf[i]], factor[leaf[i+1]]
	MOVUPD (SI)(AX*8), X1
	MULPD  X0, X1             // against *= factor
	MOVUPD X1, (SI)(AX*8)
	MOVAPD X14, X2
	ADDPD  X1, X2             // 1 + against
	MOVAPD X14, X3
	DIVPD  X2, X3             // pr = 1 / (1 + against)
	MOVSD  (DI)(AX*4), X4
	CVTPS2PD X4, X4           // y as float64
	MOVAPD X3, X5
	SUBPD  X4, X5             // g = pr − y
	MOVAPD X14, X6
	SUBPD  X3, X6
	MULPD  X3, X6             // h = pr·(1 − pr)
	MOVAPD X15, X7
	MAXPD  X6, X7             // h below 1e-16 becomes 1e-16 (a NaN stays)
	CVTPD2PS X5, X5
	CVTPD2PS X7, X7
	UNPCKLPS X7, X5           // g0 h0 g1 h1
	MOVUPS X5, (R11)(AX*8)
	ADDQ $2, AX
	JMP  pairs

single:
	CMPQ AX, CX
	JAE  done
	MOVLQSX (R8)(AX*4), DX
	CMPQ DX, R10
	JAE  done
	MOVSD (R9)(DX*8), X0
	MOVSD (SI)(AX*8), X1
	MULSD X0, X1
	MOVSD X1, (SI)(AX*8)
	MOVAPD X14, X2
	ADDSD X1, X2
	MOVAPD X14, X3
	DIVSD X2, X3
	MOVSS (DI)(AX*4), X4
	CVTSS2SD X4, X4
	MOVAPD X3, X5
	SUBSD X4, X5
	MOVAPD X14, X6
	SUBSD X3, X6
	MULSD X3, X6
	MOVAPD X15, X7
	MAXSD X6, X7
	CVTSD2SS X5, X5
	CVTSD2SS X7, X7
	MOVSS X5, (R11)(AX*8)
	MOVSS X7, 4(R11)(AX*8)
	INCQ AX
	JMP  single

done:
	MOVQ AX, ret+120(FP)
	RET
