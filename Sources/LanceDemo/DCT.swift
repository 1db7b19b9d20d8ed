// SPDX-License-Identifier: Apache-2.0

/// The 8×8 forward DCT used by ``JPEGEncoder``, as a pair: a plain reference and a fast version.
///
/// Both take 64 samples in natural (row-major) order, already level-shifted (−128…127), and
/// return the JPEG DCT-II coefficients `F(u,v) = ¼·C(u)·C(v)·Σx Σy f(x,y)·cos((2x+1)uπ/16)·cos((2y+1)vπ/16)`
/// with `C(0) = 1/√2` and `C(k) = 1` otherwise, in natural order (`v * 8 + u`, v = vertical frequency).
public enum DCT {
    /// Direct evaluation of the definition in `Double` (O(n⁴) per block; for tests).
    public static func reference(_ block: [Float]) -> [Double] {
        precondition(block.count == 64, "a DCT block has 64 samples")
        var out = [Double](repeating: 0, count: 64)
        for v in 0..<8 {
            for u in 0..<8 {
                var s = 0.0
                for y in 0..<8 {
                    for x in 0..<8 {
                        s += Double(block[y * 8 + x])
                            * cos(Double(2 * x + 1) * Double(u) * Double.pi / 16)
                            * cos(Double(2 * y + 1) * Double(v) * Double.pi / 16)
                    }
                }
                let cu = u == 0 ? 1 / 2.0.squareRoot() : 1.0
                let cv = v == 0 ? 1 / 2.0.squareRoot() : 1.0
                out[v * 8 + u] = 0.25 * cu * cv * s
            }
        }
        return out
    }

    /// The fast transform with its output scale removed, for comparison with ``reference(_:)``.
    public static func fast(_ block: [Float]) -> [Float] {
        precondition(block.count == 64, "a DCT block has 64 samples")
        var b = block
        b.withUnsafeMutableBufferPointer { scaledAAN($0) }
        for v in 0..<8 { for u in 0..<8 { b[v * 8 + u] /= aanScale[u] * aanScale[v] * 8 } }
        return b
    }

    /// Per-frequency output scale of ``scaledAAN(_:)``: `aanScale[0] = 1`, `aanScale[k] = √2·cos(kπ/16)`.
    /// Coefficient (u,v) comes out multiplied by `aanScale[u] * aanScale[v] * 8`.
    static let aanScale: [Float] = (0..<8).map { k in
        k == 0 ? 1 : Float(2.0.squareRoot() * cos(Double(k) * Double.pi / 16))
    }

    /// In-place Arai–Agui–Nakajima float DCT (5 multiplies per 1-D pass), output scaled as in ``aanScale``;
    /// the encoder folds the scale into its quantisation divisors.
    @inline(__always)
    static func scaledAAN(_ d: UnsafeMutableBufferPointer<Float>) {
        // Rows, then columns: the same 1-D butterfly with stride 1 or 8.
        for pass in 0..<2 {
            let step = pass == 0 ? 1 : 8
            let lineStep = pass == 0 ? 8 : 1
            for line in 0..<8 {
                let o = line * lineStep
                let s0 = d[o], s1 = d[o + step], s2 = d[o + 2 * step], s3 = d[o + 3 * step]
                let s4 = d[o + 4 * step], s5 = d[o + 5 * step], s6 = d[o + 6 * step], s7 = d[o + 7 * step]
                let a0 = s0 + s7, a7 = s0 - s7
                let a1 = s1 + s6, a6 = s1 - s6
                let a2 = s2 + s5, a5 = s2 - s5
                let a3 = s3 + s4, a4 = s3 - s4
                // even half
                let e0 = a0 + a3, e3 = a0 - a3
                let e1 = a1 + a2, e2 = a1 - a2
                d[o] = e0 + e1
                d[o + 4 * step] = e0 - e1
                let r = (e2 + e3) * 0.707106781
                d[o + 2 * step] = e3 + r
                d[o + 6 * step] = e3 - r
                // odd half
                let f0 = a4 + a5, f1 = a5 + a6, f2 = a6 + a7
                let z5 = (f0 - f2) * 0.382683433
                let z2 = 0.541196100 * f0 + z5
                let z4 = 1.306562965 * f2 + z5
                let z3 = f1 * 0.707106781
                let z11 = a7 + z3, z13 = a7 - z3
                d[o + 5 * step] = z13 + z2
                d[o + 3 * step] = z13 - z2
                d[o + 1 * step] = z11 + z4
                d[o + 7 * step] = z11 - z4
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
