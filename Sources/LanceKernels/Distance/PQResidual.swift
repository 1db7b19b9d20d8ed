/// Residual-PQ distance tables split into an index-only part and a query-only part.
///
/// For L2 over residuals (`r = q − c_p`, codebook entry `x` of sub-space m):
/// `‖q_m − c_p,m − x‖² = ‖q_m − c_p,m‖² + (‖x‖² + 2⟨c_p,m, x⟩) − 2⟨q_m, x⟩`.
/// The middle term depends only on the partition (``partitionTerms``, cached by the caller), the last only on the
/// query (``queryTerms``, once per query), and the first, summed over the sub-spaces, is `‖q − c_p‖²`, a constant
/// per partition added to every row's sum. A partition's table is then one add per entry (``addTables``).
/// The plain reference is ``PQ/distanceTable(query:codebook:numSubVectors:numCentroids:metric:into:)`` on `q − c_p`.
extension PQ {
    /// `out[m][j] = ‖x_m,j‖² + 2⟨centroid_m, x_m,j⟩` from a transposed codebook (`[m][subDim][numCentroids]`).
    public static func partitionTerms(centroid: UnsafeBufferPointer<Float>, transposedCodebook: UnsafeBufferPointer<Float>,
                                      numSubVectors m: Int, numCentroids nc: Int,
                                      into out: UnsafeMutableBufferPointer<Float>)
    {
        let dim = centroid.count
        precondition(m > 0 && dim % m == 0 && transposedCodebook.count >= nc * dim && out.count >= m * nc,
                     "PQ.partitionTerms: bad sizes")
        let sd = dim / m
        let cb = transposedCodebook.baseAddress!, o = out.baseAddress!
        for j in 0 ..< m {
            let oj = o + j &* nc
            for c in 0 ..< nc { oj[c] = 0 }
            for d in 0 ..< sd {
                let twoC = 2 * centroid[j &* sd &+ d]
                let row = cb + (j &* sd &+ d) &* nc
                simdLoop(nc, oj, row) { x, acc in acc + x * (x + twoC) } scalar: { x, acc in acc + x * (x + twoC) }
            }
        }
    }

    /// `out[m][j] = scale · ⟨query_m, x_m,j⟩` from a transposed codebook: `scale = −2` gives the query part of the
    /// residual L2 table, `scale = −1` the whole dot-product table (which does not depend on the partition).
    public static func queryTerms(query: UnsafeBufferPointer<Float>, transposedCodebook: UnsafeBufferPointer<Float>,
                                  numSubVectors m: Int, numCentroids nc: Int, scale: Float,
                                  into out: UnsafeMutableBufferPointer<Float>)
    {
        let dim = query.count
        precondition(m > 0 && dim % m == 0 && transposedCodebook.count >= nc * dim && out.count >= m * nc,
                     "PQ.queryTerms: bad sizes")
        let sd = dim / m
        let cb = transposedCodebook.baseAddress!, o = out.baseAddress!
        for j in 0 ..< m {
            let oj = o + j &* nc
            for c in 0 ..< nc { oj[c] = 0 }
            for d in 0 ..< sd {
                let sq = scale * query[j &* sd &+ d]
                let row = cb + (j &* sd &+ d) &* nc
                simdLoop(nc, oj, row) { x, acc in acc + sq * x } scalar: { x, acc in acc + sq * x }
            }
        }
    }

    /// `out[i] = a[i] + b[i]` for `i < out.count` (a partition's table from its two parts).
    public static func addTables(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                                 into out: UnsafeMutableBufferPointer<Float>)
    {
        let n = out.count
        precondition(a.count >= n && b.count >= n, "PQ.addTables: bad sizes")
        guard n > 0 else { return }
        let ra = UnsafeRawPointer(a.baseAddress!), rb = UnsafeRawPointer(b.baseAddress!)
        let ro = UnsafeMutableRawPointer(out.baseAddress!)
        var i = 0
        while i &+ 16 <= n {
            let v = ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
                + rb.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            ro.storeBytes(of: v, toByteOffset: i &* 4, as: SIMD16<Float>.self)
            i &+= 16
        }
        while i < n { out[i] = a[i] + b[i]; i &+= 1 }
    }

    @inline(__always)
    static func simdLoop(_ n: Int, _ acc: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>,
                         _ vec: (SIMD16<Float>, SIMD16<Float>) -> SIMD16<Float>,
                         scalar: (Float, Float) -> Float)
    {
        let rs = UnsafeRawPointer(src), ra = UnsafeMutableRawPointer(acc)
        var c = 0
        while c &+ 16 <= n {
            let x = rs.loadUnaligned(fromByteOffset: c &* 4, as: SIMD16<Float>.self)
            let a = ra.loadUnaligned(fromByteOffset: c &* 4, as: SIMD16<Float>.self)
            ra.storeBytes(of: vec(x, a), toByteOffset: c &* 4, as: SIMD16<Float>.self)
            c &+= 16
        }
        while c < n { acc[c] = scalar(src[c], acc[c]); c &+= 1 }
    }

    /// Re-lays one partition's transposed codes (`codes[j * count + i]`) in blocks of eight rows, sub-space major
    /// inside a block: `out[(b * m + j) * 8 + r]` is row `8b + r`'s code for sub-space j (rows past `count` are 0).
    /// The layout of ``adcBlocked8(table:numSubVectors:codes:count:base:out:)``: each block is one contiguous read.
    public static func blockCodes8(transposed codes: UnsafeBufferPointer<UInt8>, numSubVectors m: Int, count n: Int,
                                   into out: UnsafeMutableBufferPointer<UInt8>)
    {
        let blocks = (n + 7) / 8
        precondition(codes.count >= m * n && out.count >= blocks * m * 8, "PQ.blockCodes8: bad sizes")
        for b in 0 ..< blocks {
            for j in 0 ..< m {
                for r in 0 ..< 8 {
                    let i = b &* 8 &+ r
                    out[(b &* m &+ j) &* 8 &+ r] = i < n ? codes[j &* n &+ i] : 0
                }
            }
        }
    }

    /// ADC over codes laid out by ``blockCodes8(transposed:numSubVectors:count:into:)`` (256 centroids):
    /// `out[i] = base + Σ_j table[j * 256 + code(i, j)]` for `i < count`. Eight sums in registers per block, eight
    /// codes per 64-bit load, codes read sequentially. Same result as the reference
    /// ``adcTransposed(table:numSubVectors:numCentroids:codes:count:out:)`` up to summation order.
    public static func adcBlocked8(table: UnsafeBufferPointer<Float>, numSubVectors m: Int,
                                   codes: UnsafeBufferPointer<UInt8>, count n: Int, base: Float = 0,
                                   out: UnsafeMutableBufferPointer<Float>)
    {
        let blocks = (n + 7) / 8
        precondition(table.count >= m * 256 && codes.count >= blocks * m * 8 && out.count >= n,
                     "PQ.adcBlocked8: bad sizes")
        guard n > 0 else { return }
        let o = out.baseAddress!, t = table.baseAddress!
        var cp = UnsafeRawPointer(codes.baseAddress!)
        for b in 0 ..< blocks {
            var a0 = base, a1 = base, a2 = base, a3 = base, a4 = base, a5 = base, a6 = base, a7 = base
            var tj = t
            for _ in 0 ..< m {
                let w = cp.loadUnaligned(as: UInt64.self)
                a0 += tj[Int(truncatingIfNeeded: w & 0xFF)]
                a1 += tj[Int(truncatingIfNeeded: (w &>> 8) & 0xFF)]
                a2 += tj[Int(truncatingIfNeeded: (w &>> 16) & 0xFF)]
                a3 += tj[Int(truncatingIfNeeded: (w &>> 24) & 0xFF)]
                a4 += tj[Int(truncatingIfNeeded: (w &>> 32) & 0xFF)]
                a5 += tj[Int(truncatingIfNeeded: (w &>> 40) & 0xFF)]
                a6 += tj[Int(truncatingIfNeeded: (w &>> 48) & 0xFF)]
                a7 += tj[Int(truncatingIfNeeded: w &>> 56)]
                cp += 8
                tj += 256
            }
            let i = b &* 8
            if i &+ 8 <= n {
                o[i] = a0; o[i &+ 1] = a1; o[i &+ 2] = a2; o[i &+ 3] = a3
                o[i &+ 4] = a4; o[i &+ 5] = a5; o[i &+ 6] = a6; o[i &+ 7] = a7
            } else {
                let sums = [a0, a1, a2, a3, a4, a5, a6, a7]
                for r in 0 ..< (n &- i) { o[i &+ r] = sums[r] }
            }
        }
    }
}
