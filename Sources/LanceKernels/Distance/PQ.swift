/// Product quantisation helpers: a codebook of `numSubVectors` sub-spaces × `numCentroids` centroids of
/// `dim / numSubVectors` floats each (laid out sub-space major: `[m][numCentroids][subDim]`), 8-bit codes,
/// and asymmetric distance computation (ADC): one distance table per query, then a table lookup and sum per code.
public struct ProductQuantizer: Sendable {
    public let dim: Int
    public let numSubVectors: Int
    public let numCentroids: Int
    public let codebook: [Float]

    public var subDim: Int { dim / numSubVectors }

    /// Validates the shapes: `dim % numSubVectors == 0`, `1 ... 256` centroids, codebook size exact.
    public init(dim: Int, numSubVectors: Int, numCentroids: Int, codebook: [Float]) throws(CodecError) {
        guard dim > 0, numSubVectors > 0, dim % numSubVectors == 0 else {
            throw CodecError(.corrupt, "PQ: dimension \(dim) is not a multiple of \(numSubVectors) sub-vectors")
        }
        guard numCentroids > 0, numCentroids <= 256 else {
            throw CodecError(.unsupported, "PQ: \(numCentroids) centroids (only 8-bit codes are supported)")
        }
        guard codebook.count == numCentroids * dim else {
            throw CodecError(.corrupt, "PQ: codebook has \(codebook.count) floats, expected \(numCentroids * dim)")
        }
        self.dim = dim
        self.numSubVectors = numSubVectors
        self.numCentroids = numCentroids
        self.codebook = codebook
    }

    /// The per-query table `[m][numCentroids]`: squared L2 (for `.l2` and `.cosine`, whose vectors the caller has
    /// normalised) or −dot (for `.dot`) between each query sub-vector and each centroid.
    public func distanceTable(query: UnsafeBufferPointer<Float>, metric: DistanceMetric) -> [Float] {
        precondition(query.count == dim, "PQ.distanceTable: query has \(query.count) floats, expected \(dim)")
        let m = numSubVectors, nc = numCentroids, sd = subDim
        var table = [Float](repeating: 0, count: m * nc)
        codebook.withUnsafeBufferPointer { cb in
            table.withUnsafeMutableBufferPointer { t in
                let q = query.baseAddress!
                for j in 0..<m {
                    let qs = q + j * sd
                    let base = cb.baseAddress! + j * nc * sd
                    for c in 0..<nc {
                        let cv = base + c * sd
                        t[j * nc + c] = metric == .dot
                            ? -DistanceKernels.dot(qs, cv, count: sd)
                            : DistanceKernels.l2Squared(qs, cv, count: sd)
                    }
                }
            }
        }
        return table
    }

    public func distanceTable(query: [Float], metric: DistanceMetric) -> [Float] {
        query.withUnsafeBufferPointer { distanceTable(query: $0, metric: metric) }
    }

    /// ADC over codes stored transposed (sub-space major: `codes[j * count + i]` is row i's code for sub-space j):
    /// `out[i] = Σ_j table[j * numCentroids + codes[j * count + i]]`.
    public static func adcTransposed(table: UnsafeBufferPointer<Float>, numSubVectors m: Int, numCentroids nc: Int,
                                     codes: UnsafeBufferPointer<UInt8>, count n: Int,
                                     out: UnsafeMutableBufferPointer<Float>)
    {
        precondition(table.count >= m * nc && codes.count >= m * n && out.count >= n, "PQ.adcTransposed: bad sizes")
        guard n > 0 else { return }
        let o = out.baseAddress!, c = codes.baseAddress!, t = table.baseAddress!
        for i in 0..<n { o[i] = 0 }
        if nc == 256 {
            for j in 0..<m {
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

    /// The nearest centroid (squared L2) per sub-space: `m` codes.
    public func encode(_ vector: [Float]) -> [UInt8] {
        precondition(vector.count == dim, "PQ.encode: vector has \(vector.count) floats, expected \(dim)")
        let m = numSubVectors, nc = numCentroids, sd = subDim
        var codes = [UInt8](repeating: 0, count: m)
        vector.withUnsafeBufferPointer { v in
            codebook.withUnsafeBufferPointer { cb in
                for j in 0..<m {
                    var best = Float.infinity, bestC = 0
                    for c in 0..<nc {
                        let d = DistanceKernels.l2Squared(v.baseAddress! + j * sd, cb.baseAddress! + (j * nc + c) * sd,
                                                          count: sd)
                        if d < best { best = d; bestC = c }
                    }
                    codes[j] = UInt8(bestC)
                }
            }
        }
        return codes
    }

    /// The vector the codes stand for (concatenated centroids).
    public func decode(_ codes: [UInt8]) -> [Float] {
        precondition(codes.count == numSubVectors, "PQ.decode: \(codes.count) codes, expected \(numSubVectors)")
        let nc = numCentroids, sd = subDim
        var v = [Float]()
        v.reserveCapacity(dim)
        for (j, code) in codes.enumerated() {
            let c = min(Int(code), nc - 1)
            v.append(contentsOf: codebook[((j * nc + c) * sd)..<((j * nc + c + 1) * sd)])
        }
        return v
    }
}
