;; LayerNorm over the rows of x [N, D] and its gradient, for tfjs's wasm backend (wasmLayerNorm.ts).
;;
;; Through tfjs ops a LayerNorm is ~12 kernels forward (moments, centre, scale, gain, bias) and ~25
;; backward, on a model with five of them; here each direction is one pass with 128-bit SIMD over
;; tfjs's own heap (the memory is imported). D must be a multiple of 4 (the caller checks).
;; Pointers are in bytes.
;;
;; forward:  mean, var = moments of the row; rstd = 1 / sqrt(var + eps)
;;           xhat = (x - mean) * rstd;  y = xhat * gain + bias      (xhat [N, D] and rstd [N] kept)
;; backward: g = dy * gain
;;           dx = rstd * (g - mean(g) - xhat * mean(g * xhat))     (per row)
;;           dgain = sum over rows of dy * xhat;  dbias = sum over rows of dy
(module
  (import "env" "memory" (memory 0))

  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  (func (export "layerNorm")
    (param $x i32) (param $gain i32) (param $bias i32) (param $y i32) (param $xhat i32) (param $rstd i32)
    (param $n i32) (param $d i32) (param $eps f32)
    (local $row i32) (local $j i32) (local $rowBytes i32)
    (local $acc v128) (local $t v128) (local $mean v128) (local $scale v128) (local $r f32)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $n)))
        ;; Mean of the row.
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $m_done
          (loop $m
            (br_if $m_done (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $acc (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $x) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $m)))
        (local.set $mean (f32x4.splat (f32.div (call $hsum (local.get $acc)) (f32.convert_i32_u (local.get $d)))))
        ;; Variance about the mean (two passes, as tf.moments: no cancellation).
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $v_done
          (loop $v
            (br_if $v_done (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $t (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $j))) (local.get $mean)))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $t) (local.get $t))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $v)))
        (local.set $r (f32.div (f32.const 1)
          (f32.sqrt (f32.add (f32.div (call $hsum (local.get $acc)) (f32.convert_i32_u (local.get $d))) (local.get $eps)))))
        (f32.store (local.get $rstd) (local.get $r))
        (local.set $scale (f32x4.splat (local.get $r)))
        ;; xhat and y.
        (local.set $j (i32.const 0))
        (block $o_done
          (loop $o
            (br_if $o_done (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $t (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $j))) (local.get $mean)) (local.get $scale)))
            (v128.store (i32.add (local.get $xhat) (local.get $j)) (local.get $t))
            (v128.store (i32.add (local.get $y) (local.get $j))
              (f32x4.add (f32x4.mul (local.get $t) (v128.load (i32.add (local.get $gain) (local.get $j))))
                         (v128.load (i32.add (local.get $bias) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $o)))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $y (i32.add (local.get $y) (local.get $rowBytes)))
        (local.set $xhat (i32.add (local.get $xhat) (local.get $rowBytes)))
        (local.set $rstd (i32.add (local.get $rstd) (i32.const 4)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))

  (func (export "layerNormGrad")
    (param $dy i32) (param $xhat i32) (param $rstd i32) (param $gain i32)
    (param $dx i32) (param $dgain i32) (param $dbias i32) (param $n i32) (param $d i32)
    (local $row i32) (local $j i32) (local $rowBytes i32)
    (local $g v128) (local $xh v128) (local $dyv v128) (local $sg v128) (local $sgx v128)
    (local $meanG v128) (local $meanGX v128) (local $scale v128) (local $invD f32)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $invD (f32.div (f32.const 1) (f32.convert_i32_u (local.get $d))))
    ;; dgain and dbias accumulate over rows: start from zero.
    (local.set $j (i32.const 0))
    (block $z_done
      (loop $z
        (br_if $z_done (i32.ge_u (local.get $j) (local.get $rowBytes)))
        (v128.store (i32.add (local.get $dgain) (local.get $j)) (v128.const i32x4 0 0 0 0))
        (v128.store (i32.add (local.get $dbias) (local.get $j)) (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $z)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $n)))
        ;; Row sums of g = dy * gain and g * xhat; column sums for dgain and dbias.
        (local.set $sg (v128.const i32x4 0 0 0 0))
        (local.set $sgx (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $s_done
          (loop $s
            (br_if $s_done (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $dyv (v128.load (i32.add (local.get $dy) (local.get $j))))
            (local.set $xh (v128.load (i32.add (local.get $xhat) (local.get $j))))
            (local.set $g (f32x4.mul (local.get $dyv) (v128.load (i32.add (local.get $gain) (local.get $j)))))
            (local.set $sg (f32x4.add (local.get $sg) (local.get $g)))
            (local.set $sgx (f32x4.add (local.get $sgx) (f32x4.mul (local.get $g) (local.get $xh))))
            (v128.store (i32.add (local.get $dgain) (local.get $j))
              (f32x4.add (v128.load (i32.add (local.get $dgain) (local.get $j))) (f32x4.mul (local.get $dyv) (local.get $xh))))
            (v128.store (i32.add (local.get $dbias) (local.get $j))
              (f32x4.add (v128.load (i32.add (local.get $dbias) (local.get $j))) (local.get $dyv)))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $s)))
        (local.set $meanG (f32x4.splat (f32.mul (call $hsum (local.get $sg)) (local.get $invD))))
        (local.set $meanGX (f32x4.splat (f32.mul (call $hsum (local.get $sgx)) (local.get $invD))))
        (local.set $scale (f32x4.splat (f32.load (local.get $rstd))))
        (local.set $j (i32.const 0))
        (block $o_done
          (loop $o
            (br_if $o_done (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $g (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $j))) (v128.load (i32.add (local.get $gain) (local.get $j)))))
            (v128.store (i32.add (local.get $dx) (local.get $j))
              (f32x4.mul (local.get $scale)
                (f32x4.sub (f32x4.sub (local.get $g) (local.get $meanG))
                           (f32x4.mul (v128.load (i32.add (local.get $xhat) (local.get $j))) (local.get $meanGX)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $o)))
        (local.set $dy (i32.add (local.get $dy) (local.get $rowBytes)))
        (local.set $xhat (i32.add (local.get $xhat) (local.get $rowBytes)))
        (local.set $dx (i32.add (local.get $dx) (local.get $rowBytes)))
        (local.set $rstd (i32.add (local.get $rstd) (i32.const 4)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))
)
