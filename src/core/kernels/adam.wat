;; Adam for tfjs's wasm backend, one call per variable (see fusedAdam.ts).
;;
;; tfjs's Adam runs about ten elementwise kernels per variable (and global-norm clipping one sum and
;; one multiply more); with ~25 variables that is ~300 kernel dispatches a step, each costing more in
;; tfjs's bookkeeping than in arithmetic. Here the whole update of one variable is one pass over
;; memory, with 128-bit SIMD, on tfjs's own heap (the memory is imported).
;;
;; Every pointer is in bytes; n counts float32 elements. The arithmetic follows tfjs's AdamOptimizer
;; operation by operation (same order, float32 throughout), so results agree to rounding:
;;   g' = g * gScale                         (global-norm clipping; 1 when off)
;;   m  = m * b1 + g' * (1 - b1)             (in place)
;;   v  = v * b2 + g'^2 * (1 - b2)           (in place)
;;   out = (w + (m / d1) / (sqrt(v / d2) + eps) * -lr) * keep
;; with d1 = 1 - b1^t and d2 = 1 - b2^t (bias correction) and keep = 1 - lr * weight_decay (AdamW).
(module
  (import "env" "memory" (memory 0))

  ;; Sum of squares of n floats at p (for the global gradient norm).
  (func (export "sumSquares") (param $p i32) (param $n i32) (result f32)
    (local $acc v128) (local $x v128) (local $s f32) (local $end i32) (local $e f32)
    ;; The vector part ends at the last whole group of four.
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vec_done
      (loop $vec
        (br_if $vec_done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $x (v128.load (local.get $p)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $x) (local.get $x))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vec)))
    (local.set $s (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $e (f32.load (local.get $p)))
        (local.set $s (f32.add (local.get $s) (f32.mul (local.get $e) (local.get $e))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail)))
    (local.get $s))

  ;; One Adam step of one variable: w, g read; m, v updated in place; the new weights written to out.
  (func (export "adam")
    (param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $out i32) (param $n i32)
    (param $gScale f32) (param $b1 f32) (param $b2 f32) (param $lr f32)
    (param $d1 f32) (param $d2 f32) (param $eps f32) (param $keep f32)
    (local $i i32) (local $vecEnd i32)
    (local $G v128) (local $M v128) (local $V v128)
    (local $GS v128) (local $B1 v128) (local $B2 v128) (local $C1 v128) (local $C2 v128)
    (local $NLR v128) (local $D1 v128) (local $D2 v128) (local $EPS v128) (local $KEEP v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $GS (f32x4.splat (local.get $gScale)))
    (local.set $B1 (f32x4.splat (local.get $b1)))
    (local.set $B2 (f32x4.splat (local.get $b2)))
    (local.set $C1 (f32x4.splat (f32.sub (f32.const 1) (local.get $b1))))
    (local.set $C2 (f32x4.splat (f32.sub (f32.const 1) (local.get $b2))))
    (local.set $NLR (f32x4.splat (f32.neg (local.get $lr))))
    (local.set $D1 (f32x4.splat (local.get $d1)))
    (local.set $D2 (f32x4.splat (local.get $d2)))
    (local.set $EPS (f32x4.splat (local.get $eps)))
    (local.set $KEEP (f32x4.splat (local.get $keep)))
    (local.set $vecEnd (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    ;; $i is a byte offset shared by all five arrays.
    (block $vec_done
      (loop $vec
        (br_if $vec_done (i32.ge_u (local.get $i) (local.get $vecEnd)))
        (local.set $G (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $i))) (local.get $GS)))
        (local.set $M (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $i))) (local.get $B1))
          (f32x4.mul (local.get $G) (local.get $C1))))
        (local.set $V (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $i))) (local.get $B2))
          (f32x4.mul (f32x4.mul (local.get $G) (local.get $G)) (local.get $C2))))
        (v128.store (i32.add (local.get $m) (local.get $i)) (local.get $M))
        (v128.store (i32.add (local.get $v) (local.get $i)) (local.get $V))
        (v128.store (i32.add (local.get $out) (local.get $i))
          (f32x4.mul
            (f32x4.add
              (v128.load (i32.add (local.get $w) (local.get $i)))
              (f32x4.mul
                (f32x4.div
                  (f32x4.div (local.get $M) (local.get $D1))
                  (f32x4.add (f32x4.sqrt (f32x4.div (local.get $V) (local.get $D2))) (local.get $EPS)))
                (local.get $NLR)))
            (local.get $KEEP)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vec)))
    ;; The last n mod 4 elements, the same arithmetic on scalars.
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (i32.shl (local.get $n) (i32.const 2))))
        (local.set $gs (f32.mul (f32.load (i32.add (local.get $g) (local.get $i))) (local.get $gScale)))
        (local.set $ms (f32.add
          (f32.mul (f32.load (i32.add (local.get $m) (local.get $i))) (local.get $b1))
          (f32.mul (local.get $gs) (f32.sub (f32.const 1) (local.get $b1)))))
        (local.set $vs (f32.add
          (f32.mul (f32.load (i32.add (local.get $v) (local.get $i))) (local.get $b2))
          (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (f32.sub (f32.const 1) (local.get $b2)))))
        (f32.store (i32.add (local.get $m) (local.get $i)) (local.get $ms))
        (f32.store (i32.add (local.get $v) (local.get $i)) (local.get $vs))
        (f32.store (i32.add (local.get $out) (local.get $i))
          (f32.mul
            (f32.add
              (f32.load (i32.add (local.get $w) (local.get $i)))
              (f32.mul
                (f32.div
                  (f32.div (local.get $ms) (local.get $d1))
                  (f32.add (f32.sqrt (f32.div (local.get $vs) (local.get $d2))) (local.get $eps)))
                (f32.neg (local.get $lr))))
            (local.get $keep)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tail))))
)
