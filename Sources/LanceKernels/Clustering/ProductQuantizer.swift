// Product quantisation with 8-bit codes: the vector is cut into `numSubVectors` equal pieces and each
// piece is replaced by the index of its nearest of 256 centroids learnt for that piece.

/// A trained product quantiser.
public struct ProductQuantizer: Sendable {
    public static let numBits = 8
    public static let numCentroids = 256

    public let dim: Int
    public let numSubVectors: Int
    /// `numSubVectors × 256 × subDim`, sub-vector first (the order of the reference's codebook bytes).
    public let codebook: [Float]
    public var subDim: Int { dim / numSubVectors }
    private let tables: [CentroidTable]

    public init(dim: Int, numSubVectors: Int, codebook: [Float]) {
        precondition(numSubVectors > 0 && dim % numSubVectors == 0, "dimension must divide into sub-vectors")
        precondition(codebook.count == dim * ProductQuantizer.numCentroids, "codebook size")
        self.dim = dim
        self.numSubVectors = numSubVectors
        self.codebook = codebook
        let sd = dim / numSubVectors
        let per = ProductQuantizer.numCentroids * sd
        tables = (0 ..< numSubVectors).map { m in
            CentroidTable(centroids: Array(codebook[m * per ..< (m + 1) * per]), k: ProductQuantizer.numCentroids,
                          dim: sd, metric: .l2)
        }
    }

    /// The rows' sub-vector `m` as a contiguous `n × subDim` matrix (the training data of sub-space `m`).
    public static func subVectors(_ data: [Float], dim: Int, numSubVectors: Int, m: Int) -> [Float] {
        let sd = dim / numSubVectors
        let n = data.count / dim
        var out = [Float](repeating: 0, count: n * sd)
        for r in 0 ..< n {
            for d in 0 ..< sd { out[r * sd + d] = data[r * dim + m * sd + d] }
        }
        return out
    }

    /// The codebook from per-sub-vector centroids (each `256 × subDim`), in sub-vector order.
    public static func assemble(dim: Int, numSubVectors: Int, centroids: [[Float]]) -> ProductQuantizer {
        ProductQuantizer(dim: dim, numSubVectors: numSubVectors, codebook: centroids.flatMap { $0 })
    }

    /// Trains serially (each sub-space an L2 k-means with 256 centroids; seed `seed &+ m`).
    public static func train(data: [Float], dim: Int, numSubVectors: Int, seed: UInt64, maxIterations: Int = 50)
        -> ProductQuantizer
    {
        let parts = (0 ..< numSubVectors).map { m in
            KMeansTrainer.train(data: subVectors(data, dim: dim, numSubVectors: numSubVectors, m: m),
                                dim: dim / numSubVectors, k: numCentroids, metric: .l2, seed: seed &+ UInt64(m),
                                maxIterations: maxIterations).centroids
        }
        return assemble(dim: dim, numSubVectors: numSubVectors, centroids: parts)
    }

    /// Encodes `count` rows (`dim` floats each, `stride` apart) into `count × numSubVectors` codes, row-major.
    public func encode(_ base: UnsafePointer<Float>, stride: Int, count: Int, into codes: UnsafeMutablePointer<UInt8>) {
        guard count > 0 else { return }
        let sd = subDim, ms = numSubVectors
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: count) { idx in
            for m in 0 ..< ms {
                tables[m].assign(base + m * sd, stride: stride, count: count, membership: idx.baseAddress!, distances: nil)
                for r in 0 ..< count { codes[r * ms + m] = UInt8(truncatingIfNeeded: idx[r]) }
            }
        }
    }

    /// Array convenience: codes of contiguous rows.
    public func encode(_ rows: [Float]) -> [UInt8] {
        let n = rows.count / dim
        var out = [UInt8](repeating: 0, count: n * numSubVectors)
        rows.withUnsafeBufferPointer { rp in
            out.withUnsafeMutableBufferPointer { op in
                if n > 0 { encode(rp.baseAddress!, stride: dim, count: n, into: op.baseAddress!) }
            }
        }
        return out
    }

    /// Plain reference encoder (direct distances).
    public func encodeReference(_ rows: [Float]) -> [UInt8] {
        let n = rows.count / dim
        let sd = subDim, per = ProductQuantizer.numCentroids * sd
        var out = [UInt8](repeating: 0, count: n * numSubVectors)
        rows.withUnsafeBufferPointer { rp in
            for r in 0 ..< n {
                for m in 0 ..< numSubVectors {
                    let cb = Array(codebook[m * per ..< (m + 1) * per])
                    let (i, _) = CentroidTable.nearestReference(rp.baseAddress! + r * dim + m * sd, centroids: cb,
                                                                k: ProductQuantizer.numCentroids, dim: sd, metric: .l2)
                    out[r * numSubVectors + m] = UInt8(i)
                }
            }
        }
        return out
    }

    /// The vector a code stands for.
    public func decode(_ code: [UInt8]) -> [Float] {
        let sd = subDim
        var out = [Float](repeating: 0, count: dim)
        for m in 0 ..< numSubVectors {
            let c = Int(code[m])
            for d in 0 ..< sd { out[m * sd + d] = codebook[(m * ProductQuantizer.numCentroids + c) * sd + d] }
        }
        return out
    }

    /// Rearranges `n` codes (row-major `n × numSubVectors`) sub-vector-major: all rows' code 0, then
    /// all rows' code 1, … — the reference's "transposed" storage of one partition.
    public static func transpose(_ codes: [UInt8], numSubVectors: Int) -> [UInt8] {
        let n = codes.count / numSubVectors
        var out = [UInt8](repeating: 0, count: codes.count)
        for r in 0 ..< n {
            for m in 0 ..< numSubVectors { out[m * n + r] = codes[r * numSubVectors + m] }
        }
        return out
    }
}
