;; Elementwise and row-wise pieces of the GPT that tfjs runs as several kernels each, for tfjs's wasm
;; backend (wasmFusedOps.ts): the causal attention softmax, quick GELU and softmax cross-entropy, each
;; one pass forward and one backward, the embedding lookup with its gradient (tfjs-wasm has none),
;; the moves of attention heads between row-major and head-major layouts, and bias addition, with 128-bit SIMD over tfjs's own heap (the memory is imported).
;; Pointers are in bytes. Row lengths must be multiples of 4 (the caller checks).
;;
;; wasm has no exp instruction: $exp is the classic Cephes expf polynomial after range reduction by
;; ln 2, with the power of two made by the "magic bias" trick (no float-to-int conversion, which is
;; several instructions on x64), within ~2 ulp of the true value.
(module
  (import "env" "memory" (memory 0))

  (func $exp (param $x v128) (result v128)
    (local $n v128) (local $s v128) (local $r v128) (local $y v128)
    ;; Clamped so that 2^n stays a normal float (n in [-126, 127]); pmin/pmax are one instruction.
    (local.set $x (f32x4.pmin (f32x4.pmax (local.get $x) (v128.const f32x4 -87.3 -87.3 -87.3 -87.3))
                              (v128.const f32x4 88.0 88.0 88.0 88.0)))
    ;; n = round(x / ln 2), by adding 1.5 * 2^23 + 127: the sum's low mantissa bits are then n + 127,
    ;; which shifted into the exponent field are 2^n.
    (local.set $n (f32x4.add (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))
                             (v128.const f32x4 12583039.0 12583039.0 12583039.0 12583039.0)))
    (local.set $s (i32x4.shl (local.get $n) (i32.const 23)))
    (local.set $n (f32x4.sub (local.get $n) (v128.const f32x4 12583039.0 12583039.0 12583039.0 12583039.0)))
    ;; r = x - n ln 2, with ln 2 split in two for precision; exp(r) by a polynomial.
    (local.set $r (f32x4.sub (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
                             (f32x4.mul (local.get $n) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $y (f32x4.add (f32x4.mul (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $r))
                             (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $y (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul (local.get $y) (local.get $r)) (local.get $r)) (local.get $r))
                             (v128.const f32x4 1 1 1 1)))
    (f32x4.mul (local.get $y) (local.get $s)))

  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  (func $hmax (param $v v128) (result f32)
    (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.max (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; Causal attention softmax: scores [rows, T] (rows = batch * heads * T, query i = row mod T) ->
  ;; p = softmax(scale * scores) over keys j <= i, 0 for j > i (the future, masked). Only the groups
  ;; of four keys that hold an allowed key are read; the last of them is masked lane by lane.
  (func (export "causalSoftmax") (param $s i32) (param $p i32) (param $rows i32) (param $t i32) (param $scale f32)
    (local $row i32) (local $i i32) (local $j i32) (local $full i32) (local $rowBytes i32) (local $mask v128)
    (local $sc v128) (local $mx v128) (local $acc v128) (local $e v128) (local $inv v128) (local $last v128)
    (local.set $rowBytes (i32.shl (local.get $t) (i32.const 2)))
    (local.set $sc (f32x4.splat (local.get $scale)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $i (i32.rem_u (local.get $row) (local.get $t)))
        ;; Keys before byte offset full come in whole allowed groups; the group at full holds key i.
        (local.set $full (i32.shl (i32.and (local.get $i) (i32.const -4)) (i32.const 2)))
        (local.set $mask (i32x4.le_s (v128.const i32x4 0 1 2 3) (i32x4.splat (i32.and (local.get $i) (i32.const 3)))))
        (local.set $last (f32x4.mul (v128.load (i32.add (local.get $s) (local.get $full))) (local.get $sc)))
        ;; Max of the allowed scaled scores (key 0 is always allowed, so it fills masked lanes).
        (local.set $mx (v128.bitselect (local.get $last) (f32x4.splat (f32.mul (f32.load (local.get $s)) (local.get $scale))) (local.get $mask)))
        (local.set $j (i32.const 0))
        (block $m_done
          (loop $m
            (br_if $m_done (i32.ge_u (local.get $j) (local.get $full)))
            (local.set $mx (f32x4.max (local.get $mx) (f32x4.mul (v128.load (i32.add (local.get $s) (local.get $j))) (local.get $sc))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $m)))
        (local.set $mx (f32x4.splat (call $hmax (local.get $mx))))
        ;; e = exp(scale * s - max), stored in p and summed; the last group masked.
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $e_done
          (loop $el
            (br_if $e_done (i32.ge_u (local.get $j) (local.get $full)))
            (local.set $e (call $exp (f32x4.sub (f32x4.mul (v128.load (i32.add (local.get $s) (local.get $j))) (local.get $sc)) (local.get $mx))))
            (v128.store (i32.add (local.get $p) (local.get $j)) (local.get $e))
            (local.set $acc (f32x4.add (local.get $acc) (local.get $e)))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $el)))
        (local.set $e (v128.and (local.get $mask) (call $exp (f32x4.sub (local.get $last) (local.get $mx)))))
        (local.set $acc (f32x4.add (local.get $acc) (local.get $e)))
        (local.set $inv (f32x4.splat (f32.div (f32.const 1) (call $hsum (local.get $acc)))))
        (v128.store (i32.add (local.get $p) (local.get $full)) (f32x4.mul (local.get $e) (local.get $inv)))
        (local.set $j (i32.const 0))
        (block $n_done
          (loop $nl
            (br_if $n_done (i32.ge_u (local.get $j) (local.get $full)))
            (v128.store (i32.add (local.get $p) (local.get $j))
              (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $j))) (local.get $inv)))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $nl)))
        ;; The future: zeros.
        (local.set $j (i32.add (local.get $full) (i32.const 16)))
        (block $z_done
          (loop $z
            (br_if $z_done (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (v128.store (i32.add (local.get $p) (local.get $j)) (v128.const i32x4 0 0 0 0))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $z)))
        (local.set $s (i32.add (local.get $s) (local.get $rowBytes)))
        (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))

  ;; Its gradient with respect to the raw scores: ds = scale * p * (dp - sum_j dp_j p_j), per row.
  (func (export "causalSoftmaxGrad") (param $p i32) (param $dp i32) (param $ds i32) (param $rows i32) (param $t i32) (param $scale f32)
    (local $row i32) (local $j i32) (local $rowBytes i32) (local $acc v128) (local $dot v128) (local $sc v128) (local $pv v128)
    (local.set $rowBytes (i32.shl (local.get $t) (i32.const 2)))
    (local.set $sc (f32x4.splat (local.get $scale)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $d_done
          (loop $d
            (br_if $d_done (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $acc (f32x4.add (local.get $acc)
              (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $j))) (v128.load (i32.add (local.get $dp) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $d)))
        (local.set $dot (f32x4.splat (call $hsum (local.get $acc))))
        (local.set $j (i32.const 0))
        (block $o_done
          (loop $o
            (br_if $o_done (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $pv (v128.load (i32.add (local.get $p) (local.get $j))))
            (v128.store (i32.add (local.get $ds) (local.get $j))
              (f32x4.mul (f32x4.mul (local.get $pv) (f32x4.sub (v128.load (i32.add (local.get $dp) (local.get $j))) (local.get $dot))) (local.get $sc)))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $o)))
        (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
        (local.set $dp (i32.add (local.get $dp) (local.get $rowBytes)))
        (local.set $ds (i32.add (local.get $ds) (local.get $rowBytes)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))

  ;; sigmoid(1.702 x) for n floats (n a multiple of 4).
  (func $sig (param $x v128) (result v128)
    (f32x4.div (f32x4.splat (f32.const 1))
      (f32x4.add (f32x4.splat (f32.const 1)) (call $exp (f32x4.mul (local.get $x) (f32x4.splat (f32.const -1.702)))))))

  ;; Quick GELU: y = x * s with s = sigmoid(1.702 x), s kept for the gradient.
  (func (export "quickGelu") (param $x i32) (param $y i32) (param $sig i32) (param $n i32)
    (local $i i32) (local $end i32) (local $v v128) (local $s v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $i))))
        (local.set $s (call $sig (local.get $v)))
        (v128.store (i32.add (local.get $sig) (local.get $i)) (local.get $s))
        (v128.store (i32.add (local.get $y) (local.get $i)) (f32x4.mul (local.get $v) (local.get $s)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $l))))

  ;; Its gradient from the kept s: dx = dy * (s + 1.702 x s (1 - s)).
  (func (export "quickGeluGrad") (param $x i32) (param $sig i32) (param $dy i32) (param $dx i32) (param $n i32)
    (local $i i32) (local $end i32) (local $v v128) (local $s v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $i))))
        (local.set $s (v128.load (i32.add (local.get $sig) (local.get $i))))
        (v128.store (i32.add (local.get $dx) (local.get $i))
          (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $i)))
            (f32x4.add (local.get $s)
              (f32x4.mul (f32x4.mul (f32x4.mul (local.get $v) (v128.const f32x4 1.702 1.702 1.702 1.702)) (local.get $s))
                         (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $s))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $l))))

  ;; Softmax cross-entropy, first half: for logits [n, v], each row's max and sum of exp(x - max),
  ;; written to out[2 * row] and out[2 * row + 1] (the caller takes the log: wasm has none).
  (func (export "rowMaxSumExp") (param $x i32) (param $out i32) (param $n i32) (param $v i32)
    (local $row i32) (local $j i32) (local $rowBytes i32) (local $mx v128) (local $acc v128)
    (local.set $rowBytes (i32.shl (local.get $v) (i32.const 2)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $n)))
        (local.set $mx (v128.load (local.get $x)))
        (local.set $j (i32.const 16))
        (block $m_done
          (loop $m
            (br_if $m_done (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $mx (f32x4.max (local.get $mx) (v128.load (i32.add (local.get $x) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $m)))
        (local.set $mx (f32x4.splat (call $hmax (local.get $mx))))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $s_done
          (loop $sl
            (br_if $s_done (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $acc (f32x4.add (local.get $acc)
              (call $exp (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $j))) (local.get $mx)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $sl)))
        (f32.store (local.get $out) (f32x4.extract_lane 0 (local.get $mx)))
        (f32.store offset=4 (local.get $out) (call $hsum (local.get $acc)))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))

  ;; Its gradient: dx[r, j] = (exp(x[r, j] - lse[r]) - (j == target[r])) * g, g = dLoss / n.
  (func (export "crossEntropyGrad") (param $x i32) (param $lse i32) (param $targets i32) (param $dx i32)
                                   (param $n i32) (param $v i32) (param $g f32)
    (local $row i32) (local $j i32) (local $rowBytes i32) (local $l v128) (local $gv v128) (local $t i32)
    (local.set $rowBytes (i32.shl (local.get $v) (i32.const 2)))
    (local.set $gv (f32x4.splat (local.get $g)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $n)))
        (local.set $l (f32x4.splat (f32.load (local.get $lse))))
        (local.set $j (i32.const 0))
        (block $o_done
          (loop $o
            (br_if $o_done (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (v128.store (i32.add (local.get $dx) (local.get $j))
              (f32x4.mul (call $exp (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $j))) (local.get $l))) (local.get $gv)))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $o)))
        ;; The target's column also gets -g (a target outside the vocabulary has none, as with tf.oneHot).
        (local.set $t (i32.load (local.get $targets)))
        (if (i32.lt_u (local.get $t) (local.get $v))
          (then
            (local.set $t (i32.add (local.get $dx) (i32.shl (local.get $t) (i32.const 2))))
            (f32.store (local.get $t) (f32.sub (f32.load (local.get $t)) (local.get $g)))))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $dx (i32.add (local.get $dx) (local.get $rowBytes)))
        (local.set $lse (i32.add (local.get $lse) (i32.const 4)))
        (local.set $targets (i32.add (local.get $targets) (i32.const 4)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))

  ;; Embedding lookup: out[r] = table[ids[r]] for out [n, d], table [v, d]; an id outside [0, v)
  ;; gives a zero row, as tf.oneHot does. (tfjs-wasm's GatherV2 took ~1.8 ms for 1,024 rows of 64.)
  (func (export "embeddingLookup") (param $table i32) (param $ids i32) (param $out i32) (param $n i32) (param $v i32) (param $d i32)
    (local $j i32) (local $rowBytes i32) (local $t i32) (local $src i32) (local $row i32)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $n)))
        (local.set $t (i32.load (local.get $ids)))
        (local.set $src (i32.add (local.get $table) (i32.mul (local.get $t) (local.get $rowBytes))))
        (local.set $j (i32.const 0))
        (block $c_done
          (loop $c
            (br_if $c_done (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (v128.store (i32.add (local.get $out) (local.get $j))
              (if (result v128) (i32.lt_u (local.get $t) (local.get $v))
                (then (v128.load (i32.add (local.get $src) (local.get $j))))
                (else (v128.const i32x4 0 0 0 0))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $c)))
        (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
        (local.set $ids (i32.add (local.get $ids) (i32.const 4)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))

  ;; Embedding gradient (the transpose of a row lookup): dTable [v, d] = zeros, then for each row r,
  ;; dTable[ids[r]] += dy[r]. Ids outside [0, v) add nothing, as tf.oneHot gives them no row.
  (func (export "embeddingGrad") (param $dy i32) (param $ids i32) (param $dt i32) (param $n i32) (param $v i32) (param $d i32)
    (local $j i32) (local $end i32) (local $rowBytes i32) (local $t i32) (local $dst i32) (local $row i32)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $end (i32.mul (local.get $v) (local.get $rowBytes)))
    (block $z_done
      (loop $z
        (br_if $z_done (i32.ge_u (local.get $j) (local.get $end)))
        (v128.store (i32.add (local.get $dt) (local.get $j)) (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $z)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $n)))
        (local.set $t (i32.load (local.get $ids)))
        (if (i32.lt_u (local.get $t) (local.get $v))
          (then
            (local.set $dst (i32.add (local.get $dt) (i32.mul (local.get $t) (local.get $rowBytes))))
            (local.set $j (i32.const 0))
            (block $c_done
              (loop $c
                (br_if $c_done (i32.ge_u (local.get $j) (local.get $rowBytes)))
                (v128.store (i32.add (local.get $dst) (local.get $j))
                  (f32x4.add (v128.load (i32.add (local.get $dst) (local.get $j))) (v128.load (i32.add (local.get $dy) (local.get $j)))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $c)))))
        (local.set $dy (i32.add (local.get $dy) (local.get $rowBytes)))
        (local.set $ids (i32.add (local.get $ids) (i32.const 4)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))

  ;; Attention heads, one chunk at a time: between rows [B*T, width] (the chunk's D = H*dh columns
  ;; start at column `offset`) and head-major [B, H, T, dh]. toHeads = 1 copies rows -> heads (the
  ;; q/k/v split; the gradient of the merge), 0 the other way (the merge; the split's gradient).
  ;; dh must be a multiple of 4.
  (func (export "headsCopy") (param $rows i32) (param $heads i32) (param $b i32) (param $t i32) (param $h i32) (param $dh i32)
                             (param $width i32) (param $offset i32) (param $toHeads i32)
    (local $bi i32) (local $ti i32) (local $hi i32) (local $j i32) (local $r i32) (local $q i32) (local $dhBytes i32)
    (local.set $dhBytes (i32.shl (local.get $dh) (i32.const 2)))
    (block $b_done
      (loop $bl
        (br_if $b_done (i32.ge_u (local.get $bi) (local.get $b)))
        (local.set $hi (i32.const 0))
        (block $h_done
          (loop $hl
            (br_if $h_done (i32.ge_u (local.get $hi) (local.get $h)))
            (local.set $ti (i32.const 0))
            (block $t_done
              (loop $tl
                (br_if $t_done (i32.ge_u (local.get $ti) (local.get $t)))
                ;; rows[(bi*T + ti), offset + hi*dh] and heads[bi, hi, ti, 0]
                (local.set $r (i32.add (local.get $rows) (i32.shl
                  (i32.add (i32.mul (i32.add (i32.mul (local.get $bi) (local.get $t)) (local.get $ti)) (local.get $width))
                           (i32.add (local.get $offset) (i32.mul (local.get $hi) (local.get $dh)))) (i32.const 2))))
                (local.set $q (i32.add (local.get $heads) (i32.shl
                  (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $bi) (local.get $h)) (local.get $hi)) (local.get $t)) (local.get $ti)) (local.get $dh))
                  (i32.const 2))))
                (local.set $j (i32.const 0))
                (block $c_done
                  (loop $c
                    (br_if $c_done (i32.ge_u (local.get $j) (local.get $dhBytes)))
                    (if (local.get $toHeads)
                      (then (v128.store (i32.add (local.get $q) (local.get $j)) (v128.load (i32.add (local.get $r) (local.get $j)))))
                      (else (v128.store (i32.add (local.get $r) (local.get $j)) (v128.load (i32.add (local.get $q) (local.get $j))))))
                    (local.set $j (i32.add (local.get $j) (i32.const 16)))
                    (br $c)))
                (local.set $ti (i32.add (local.get $ti) (i32.const 1)))
                (br $tl)))
            (local.set $hi (i32.add (local.get $hi) (i32.const 1)))
            (br $hl)))
        (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
        (br $bl))))

  ;; y [n, k] = x [n, k] + bias [k] on every row (tfjs-wasm broadcasts this add element by element).
  (func (export "addBias") (param $x i32) (param $bias i32) (param $y i32) (param $n i32) (param $k i32)
    (local $row i32) (local $j i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $k) (i32.const 2)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $c_done
          (loop $c
            (br_if $c_done (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (v128.store (i32.add (local.get $y) (local.get $j))
              (f32x4.add (v128.load (i32.add (local.get $x) (local.get $j))) (v128.load (i32.add (local.get $bias) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $c)))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $y (i32.add (local.get $y) (local.get $rowBytes)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))

  ;; out [k] = sum over the rows of x [n, k] (the bias gradient).
  (func (export "columnSum") (param $x i32) (param $out i32) (param $n i32) (param $k i32)
    (local $row i32) (local $j i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $k) (i32.const 2)))
    (block $z_done
      (loop $z
        (br_if $z_done (i32.ge_u (local.get $j) (local.get $rowBytes)))
        (v128.store (i32.add (local.get $out) (local.get $j)) (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $z)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $c_done
          (loop $c
            (br_if $c_done (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (v128.store (i32.add (local.get $out) (local.get $j))
              (f32x4.add (v128.load (i32.add (local.get $out) (local.get $j))) (v128.load (i32.add (local.get $x) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $c)))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))
)
