/// Product-quantisation distance helpers (ADC): a codebook of `numSubVectors` sub-spaces × `numCentroids`
/// centroids of `dim / numSubVectors` floats each, laid out sub-space major (`[m][numCentroids][subDim]`, the
/// reference's layout), 8-bit codes. One distance table per query, then a lookup and sum per code.
/// (Training and encoding live in `ProductQuantizer`, Clustering/.)
public enum PQ {
    /// Checks the shapes of a codebook: `dim % numSubVectors == 0`, `1 ... 256` centroids, size exact.
    public static func validate(dim: Int, numSubVectors: Int, numCentroids: Int, codebookCount: Int) throws(CodecError) {
        guard dim > 0, numSubVectors > 0, dim % numSubVectors == 0 else {
            throw CodecError(.corrupt, "PQ: dimension \(dim) is not a multiple of \(numSubVectors) sub-vectors")
        }
        guard numCentroids > 0, numCentroids <= 256 else {
            throw CodecError(.unsupported, "PQ: \(numCentroids) centroids (only 8-bit codes are supported)")
        }
        guard codebookCount == numCentroids * dim else {
            throw CodecError(.corrupt, "PQ: codebook has \(codebookCount) floats, expected \(numCentroids * dim)")
        }
    }

    /// The per-query table `[m][numCentroids]`: squared L2 between each query sub-vector and each centroid (for
    /// `.l2`, and for `.cosine` whose vectors the caller has normalised), or −dot (for `.dot`).
    /// Preconditions: the shapes pass ``validate(dim:numSubVectors:numCentroids:codebookCount:)``, `query.count == dim`.
    public static func distanceTable(query: UnsafeBufferPointer<Float>, codebook: UnsafeBufferPointer<Float>,
                                     numSubVectors m: Int, numCentroids nc: Int, metric: DistanceMetric,
                                     into table: UnsafeMutableBufferPointer<Float>)
    {
        let dim = query.count
        precondition(m > 0 && dim % m == 0 && codebook.count >= nc * dim && table.count >= m * nc,
                     "PQ.distanceTable: bad sizes")
        let sd = dim / m
        let q = query.baseAddress!, cb = codebook.baseAddress!
        for j in 0..<m {
            let qs = q + j * sd
            let base = cb + j * nc * sd
            for c in 0..<nc {
                let cv = base + c * sd
                table[j * nc + c] = metric == .dot
                    ? -DistanceKernels.dot(qs, cv, count: sd)
                    : DistanceKernels.l2Squared(qs, cv, count: sd)
            }
        }
    }

    /// Array convenience for ``distanceTable(query:codebook:numSubVectors:numCentroids:metric:into:)``.
    public static func distanceTable(query: [Float], codebook: [Float], numSubVectors m: Int, numCentroids nc: Int,
                                     metric: DistanceMetric) -> [Float]
    {
        var table = [Float](repeating: 0, count: m * nc)
        query.withUnsafeBufferPointer { q in codebook.withUnsafeBufferPointer { cb in table.withUnsafeMutableBufferPointer { t in
            distanceTable(query: q, codebook: cb, numSubVectors: m, numCentroids: nc, metric: metric, into: t) } } }
        return table
    }

    /// The codebook re-laid as `[m][subDim][numCentroids]` for ``distanceTable(query:transposedCodebook:numSubVectors:numCentroids:metric:into:)``.
    public static func transposeCodebook(_ codebook: [Float], dim: Int, numSubVectors m: Int, numCentroids nc: Int) -> [Float] {
        precondition(m > 0 && dim % m == 0 && codebook.count >= nc * dim, "PQ.transposeCodebook: bad sizes")
        let sd = dim / m
        var out = [Float](repeating: 0, count: nc * dim)
        for j in 0 ..< m {
            for c in 0 ..< nc {
                for d in 0 ..< sd { out[(j * sd + d) * nc + c] = codebook[(j * nc + c) * sd + d] }
            }
        }
        return out
    }

    /// The same table as ``distanceTable(query:codebook:numSubVectors:numCentroids:metric:into:)`` from a transposed
    /// codebook: each query component is broadcast against all centroids at once (SIMD over centroids).
    public static func distanceTable(query: UnsafeBufferPointer<Float>, transposedCodebook: UnsafeBufferPointer<Float>,
                                     numSubVectors m: Int, numCentroids nc: Int, metric: DistanceMetric,
                                     into table: UnsafeMutableBufferPointer<Float>)
    {
        let dim = query.count
        precondition(m > 0 && dim % m == 0 && transposedCodebook.count >= nc * dim && table.count >= m * nc,
                     "PQ.distanceTable: bad sizes")
        let sd = dim / m
        let t = table.baseAddress!, cb = UnsafeRawPointer(transposedCodebook.baseAddress!)
        let tr = UnsafeMutableRawPointer(t)
        let dot = metric == .dot
        for j in 0 ..< m {
            let tj = t + j * nc
            for c in 0 ..< nc { tj[c] = 0 }
            for d in 0 ..< sd {
                let qd = query[j * sd + d]
                let rowOffset = (j * sd + d) * nc * 4
                var c = 0
                let qv = SIMD16<Float>(repeating: qd)
                while c + 16 <= nc {
                    let x = cb.loadUnaligned(fromByteOffset: rowOffset + c * 4, as: SIMD16<Float>.self)
                    var acc = tr.loadUnaligned(fromByteOffset: (j * nc + c) * 4, as: SIMD16<Float>.self)
                    if dot {
                        acc -= qv * x
                    } else {
                        let diff = qv - x
                        acc += diff * diff
                    }
                    tr.storeBytes(of: acc, toByteOffset: (j * nc + c) * 4, as: SIMD16<Float>.self)
                    c += 16
                }
                while c < nc {
                    let x = cb.load(fromByteOffset: rowOffset + c * 4, as: Float.self)
                    if dot { tj[c] -= qd * x } else { tj[c] += (qd - x) * (qd - x) }
                    c += 1
                }
            }
        }
    }

    /// ADC over codes stored transposed (sub-space major: `codes[j * count + i]` is row i's code for sub-space j,
    /// the reference's on-disk layout): `out[i] = Σ_j table[j * numCentroids + codes[j * count + i]]`.
    /// A code ≥ numCentroids yields NaN (never ranks).
    public static func adcTransposed(table: UnsafeBufferPointer<Float>, numSubVectors m: Int, numCentroids nc: Int,
                                     codes: UnsafeBufferPointer<UInt8>, count n: Int,
                                     out: UnsafeMutableBufferPointer<Float>)
    {
        precondition(table.count >= m * nc && codes.count >= m * n && out.count >= n, "PQ.adcTransposed: bad sizes")
        guard n > 0 else { return }
        let o = out.baseAddress!, c = codes.baseAddress!, t = table.baseAddress!
        for i in 0..<n { o[i] = 0 }
        if nc == 256 {
            var j = 0
            // Two sub-spaces per pass halves the read-modify-write traffic on `out`.
            while j + 1 < m {
                let t0 = t + j &* 256, t1 = t0 + 256
                let c0 = c + j &* n, c1 = c0 + n
                for i in 0..<n { o[i] += t0[Int(c0[i])] + t1[Int(c1[i])] }
                j += 2
            }
            if j < m {
                let tj = t + j &* 256
                let cj = c + j &* n
                for i in 0..<n { o[i] += tj[Int(cj[i])] }
            }
        } else {
            for j in 0..<m {
                let tj = t + j &* nc
                let cj = c + j &* n
                for i in 0..<n {
                    let code = Int(cj[i])
                    o[i] += code < nc ? tj[code] : .nan
                }
            }
        }
    }

    /// ADC over row-major codes (`codes[i * m + j]`).
    public static func adcRowMajor(table: UnsafeBufferPointer<Float>, numSubVectors m: Int, numCentroids nc: Int,
                                   codes: UnsafeBufferPointer<UInt8>, count n: Int,
                                   out: UnsafeMutableBufferPointer<Float>)
    {
        precondition(table.count >= m * nc && codes.count >= m * n && out.count >= n, "PQ.adcRowMajor: bad sizes")
        for i in 0..<n {
            var s: Float = 0
            for j in 0..<m {
                let code = Int(codes[i &* m &+ j])
                s += code < nc ? table[j &* nc &+ code] : .nan
            }
            out[i] = s
        }
    }
}
