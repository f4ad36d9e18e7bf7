;; Batched matrix product with 128-bit SIMD, for tfjs's wasm backend (see wasmBatchMatMul.ts).
;;
;; tfjs-backend-wasm runs a matMul on XNNPACK only when it is a single, untransposed 2-D product;
;; attention's batched products and every product with a transpose flag (the gradients) fall to a
;; scalar loop. This kernel computes, for each batch item, C[M, N] = A[M, K] @ B[K, N], reading
;; and writing tfjs's own heap (the memory is imported), so no tensor is copied.
;;
;; Every pointer and stride is in bytes. A element (i, k) lives at a + i*aRow + k*aCol, so a
;; transposed A is only a change of strides (A is read one element at a time and broadcast).
;; B must be row-contiguous, [K, N], for the vector loads: a transposed B ([N, K]) is first copied
;; into `scratch` as [K, N], after the first K*8 floats of scratch, which hold one packed 8-column
;; panel of B at a time when B's rows are 1 KiB apart (so scratch holds K*8 floats, plus K*N when B is transposed). C is written
;; contiguous, [batch, M, N].
;;
;; The work is done in 4-row x 8-column tiles: per k, four A elements and two B vectors feed eight
;; accumulators, so each load serves several multiply-adds. Edges use one-row strips.
;; Every multiply-add is written `(f32x4.add (local.get $acc) (f32x4.mul (local.get $x) (local.get $y)))`
;; so that scripts/kernelAssembler.ts can also emit a fused (relaxed-SIMD) variant of this file.
(module
  (import "env" "memory" (memory 0))

  ;; dst[K, N] = transpose(src[N, K]), row-major f32.
  (func $transpose (param $src i32) (param $dst i32) (param $n i32) (param $k i32)
    (local $j i32) (local $kk i32) (local $s i32) (local $d i32)
    (local.set $j (i32.const 0))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $j) (local.get $n)))
        ;; source row j is contiguous; it becomes column j of dst.
        (local.set $s (i32.add (local.get $src) (i32.shl (i32.mul (local.get $j) (local.get $k)) (i32.const 2))))
        (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $kk (local.get $k))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.eqz (local.get $kk)))
            (f32.store (local.get $d) (f32.load (local.get $s)))
            (local.set $s (i32.add (local.get $s) (i32.const 4)))
            (local.set $d (i32.add (local.get $d) (i32.shl (local.get $n) (i32.const 2))))
            (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
            (br $cols)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $rows))))

  ;; One 4 x 8 tile: C[r, 0:8] (r = 0..3, rows cRow bytes apart) = sum over k of A[r, k] * B[k, 0:8].
  (func $tile4x8 (param $ap i32) (param $aRow i32) (param $aCol i32) (param $bp i32) (param $bRow i32)
                 (param $cp i32) (param $cRow i32) (param $k i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $aRow2 i32) (local $aRow3 i32)
    (local.set $aRow2 (i32.shl (local.get $aRow) (i32.const 1)))
    (local.set $aRow3 (i32.add (local.get $aRow2) (local.get $aRow)))
    (block $done
      (loop $ks
        (br_if $done (i32.eqz (local.get $k)))
        (local.set $b0 (v128.load (local.get $bp)))
        (local.set $b1 (v128.load offset=16 (local.get $bp)))
        (local.set $a0 (f32x4.splat (f32.load (local.get $ap))))
        (local.set $a1 (f32x4.splat (f32.load (i32.add (local.get $ap) (local.get $aRow)))))
        (local.set $a2 (f32x4.splat (f32.load (i32.add (local.get $ap) (local.get $aRow2)))))
        (local.set $a3 (f32x4.splat (f32.load (i32.add (local.get $ap) (local.get $aRow3)))))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a0) (local.get $b0))))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a0) (local.get $b1))))
        (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a1) (local.get $b0))))
        (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a1) (local.get $b1))))
        (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a2) (local.get $b0))))
        (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a2) (local.get $b1))))
        (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a3) (local.get $b0))))
        (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a3) (local.get $b1))))
        (local.set $ap (i32.add (local.get $ap) (local.get $aCol)))
        (local.set $bp (i32.add (local.get $bp) (local.get $bRow)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $ks)))
    (v128.store (local.get $cp) (local.get $c00))
    (v128.store offset=16 (local.get $cp) (local.get $c01))
    (local.set $cp (i32.add (local.get $cp) (local.get $cRow)))
    (v128.store (local.get $cp) (local.get $c10))
    (v128.store offset=16 (local.get $cp) (local.get $c11))
    (local.set $cp (i32.add (local.get $cp) (local.get $cRow)))
    (v128.store (local.get $cp) (local.get $c20))
    (v128.store offset=16 (local.get $cp) (local.get $c21))
    (local.set $cp (i32.add (local.get $cp) (local.get $cRow)))
    (v128.store (local.get $cp) (local.get $c30))
    (v128.store offset=16 (local.get $cp) (local.get $c31)))

  ;; One row of C from column j to n: 4 columns at a time, then one at a time.
  ;; ap: A[i, 0]; bp: B[0, j]; cp: C[i, j].
  (func $rowStrip (param $ap i32) (param $aCol i32) (param $bp i32) (param $bRow i32) (param $cp i32)
                  (param $k i32) (param $j i32) (param $n i32)
    (local $kk i32) (local $apk i32) (local $bpk i32) (local $av v128) (local $bv v128) (local $acc v128) (local $s f32)
    (block $vec_done
      (loop $vec
        (br_if $vec_done (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $apk (local.get $ap))
        (local.set $bpk (local.get $bp))
        (local.set $kk (local.get $k))
        (block $k_done
          (loop $ks
            (br_if $k_done (i32.eqz (local.get $kk)))
            (local.set $av (f32x4.splat (f32.load (local.get $apk))))
            (local.set $bv (v128.load (local.get $bpk)))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $av) (local.get $bv))))
            (local.set $apk (i32.add (local.get $apk) (local.get $aCol)))
            (local.set $bpk (i32.add (local.get $bpk) (local.get $bRow)))
            (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
            (br $ks)))
        (v128.store (local.get $cp) (local.get $acc))
        (local.set $bp (i32.add (local.get $bp) (i32.const 16)))
        (local.set $cp (i32.add (local.get $cp) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $vec)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $s (f32.const 0))
        (local.set $apk (local.get $ap))
        (local.set $bpk (local.get $bp))
        (local.set $kk (local.get $k))
        (block $k_done
          (loop $ks
            (br_if $k_done (i32.eqz (local.get $kk)))
            (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $apk)) (f32.load (local.get $bpk)))))
            (local.set $apk (i32.add (local.get $apk) (local.get $aCol)))
            (local.set $bpk (i32.add (local.get $bpk) (local.get $bRow)))
            (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
            (br $ks)))
        (f32.store (local.get $cp) (local.get $s))
        (local.set $bp (i32.add (local.get $bp) (i32.const 4)))
        (local.set $cp (i32.add (local.get $cp) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tail))))

  ;; dst[K, 8] = src[K, 0:8] for rows srcRow bytes apart: one panel of B, contiguous.
  (func $packPanel (param $src i32) (param $srcRow i32) (param $dst i32) (param $k i32)
    (block $done
      (loop $rows
        (br_if $done (i32.eqz (local.get $k)))
        (v128.store (local.get $dst) (v128.load (local.get $src)))
        (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $srcRow)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $rows))))

  (func (export "batchMatMul")
    (param $a i32) (param $b i32) (param $c i32) (param $scratch i32)
    (param $batch i32) (param $m i32) (param $k i32) (param $n i32)
    (param $aBatch i32) (param $aRow i32) (param $aCol i32)
    (param $bBatch i32) (param $transposeB i32)
    (local $bi i32) (local $i i32) (local $j i32) (local $r i32)
    (local $bMat i32) (local $bRow i32) (local $cRow i32) (local $panel i32) (local $pack i32) (local $tileB i32) (local $tileBRow i32)
    (local.set $bRow (i32.shl (local.get $n) (i32.const 2)))
    (local.set $cRow (local.get $bRow))
    (local.set $bi (i32.const 0))
    (block $batch_done
      (loop $batches
        (br_if $batch_done (i32.ge_u (local.get $bi) (local.get $batch)))
        (local.set $panel (local.get $scratch))
        (local.set $bMat (local.get $b))
        (if (local.get $transposeB)
          (then
            (local.set $bMat (i32.add (local.get $scratch) (i32.shl (local.get $k) (i32.const 5))))
            (call $transpose (local.get $b) (local.get $bMat) (local.get $n) (local.get $k))))
        ;; Whole 8-column panels of B, each used by every group of four rows of A. When B's rows are
        ;; a multiple of 1 KiB apart (N = 256, 512, ...), a column strip read at that stride falls in
        ;; a few cache sets and thrashes them (half the speed of N = 264): such a panel is first
        ;; packed contiguous ([K, 8], 32 bytes a row). Other strides read B in place (packing cost
        ;; more than it saved on attention's small products).
        (local.set $pack (i32.eqz (i32.and (local.get $bRow) (i32.const 1023))))
        (local.set $j (i32.const 0))
        (if (i32.ge_u (local.get $m) (i32.const 4))
          (then
            (block $panels_done
              (loop $panels
                (br_if $panels_done (i32.gt_u (i32.add (local.get $j) (i32.const 8)) (local.get $n)))
                (local.set $tileB (i32.add (local.get $bMat) (i32.shl (local.get $j) (i32.const 2))))
                (local.set $tileBRow (local.get $bRow))
                (if (local.get $pack)
                  (then
                    (call $packPanel (local.get $tileB) (local.get $bRow) (local.get $panel) (local.get $k))
                    (local.set $tileB (local.get $panel))
                    (local.set $tileBRow (i32.const 32))))
                (local.set $i (i32.const 0))
                (block $groups_done
                  (loop $groups
                    (br_if $groups_done (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $m)))
                    (call $tile4x8
                      (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRow))) (local.get $aRow) (local.get $aCol)
                      (local.get $tileB) (local.get $tileBRow)
                      (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $cRow))) (i32.shl (local.get $j) (i32.const 2)))
                      (local.get $cRow) (local.get $k))
                    (local.set $i (i32.add (local.get $i) (i32.const 4)))
                    (br $groups)))
                (local.set $j (i32.add (local.get $j) (i32.const 8)))
                (br $panels)))))
        ;; The last N mod 8 columns of those rows, row by row.
        (if (i32.lt_u (local.get $j) (local.get $n))
          (then
            (local.set $i (i32.const 0))
            (block $edge_done
              (loop $edge
                (br_if $edge_done (i32.ge_u (local.get $i) (i32.and (local.get $m) (i32.const -4))))
                (call $rowStrip
                  (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRow))) (local.get $aCol)
                  (i32.add (local.get $bMat) (i32.shl (local.get $j) (i32.const 2))) (local.get $bRow)
                  (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $cRow))) (i32.shl (local.get $j) (i32.const 2)))
                  (local.get $k) (local.get $j) (local.get $n))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $edge)))))
        ;; The last M mod 4 rows, whole.
        (local.set $i (i32.and (local.get $m) (i32.const -4)))
        (block $rows_done
          (loop $rows
            (br_if $rows_done (i32.ge_u (local.get $i) (local.get $m)))
            (call $rowStrip
              (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRow))) (local.get $aCol)
              (local.get $bMat) (local.get $bRow)
              (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $cRow)))
              (local.get $k) (i32.const 0) (local.get $n))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rows)))
        (local.set $a (i32.add (local.get $a) (local.get $aBatch)))
        (local.set $b (i32.add (local.get $b) (local.get $bBatch)))
        (local.set $c (i32.add (local.get $c) (i32.mul (local.get $m) (local.get $cRow))))
        (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
        (br $batches))))
)
