// K-means for vector index training (IVF partitions, PQ codebooks).
//
// Pure and synchronous: the work of one Lloyd iteration is split into fixed chunks of rows
// (`KMeansTrainer.chunkRows`), each chunk's partial sums are computed independently
// (`partial(chunk:table:)`) and merged in chunk order (`finishIteration(_:)`). Callers may run the
// chunks concurrently; the result does not depend on how, only on the data and the seed.

/// The distance clustering minimises. Cosine is clustered as L2 over normalised vectors, as the
/// reference does, so callers normalise first.
public enum ClusterMetric: String, Sendable, Hashable {
    /// Squared Euclidean distance.
    case l2
    /// Negative dot product.
    case dot
}

/// A small, fast, seedable generator (SplitMix64) so that training is reproducible.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Centroids laid out for nearest-centroid search: transposed in blocks of 32 centroids so that one
/// row is compared with 32 centroids at once (no horizontal sums in the inner loop).
///
/// The score of centroid `c` for row `x` is `‖c‖² − 2·x·c` (L2; adding `‖x‖²` gives the squared
/// distance) or `−x·c` (dot).
public struct CentroidTable: Sendable {
    public static let block = 32
    public let k: Int
    public let dim: Int
    public let metric: ClusterMetric
    /// The centroids, row-major `k × dim`.
    public let centroids: [Float]
    let blocks: Int
    /// `blocks × dim × 32`: block b, dimension d, lane j = scale × centroid[b·32 + j][d].
    let transposed: [Float]
    /// `blocks × 32`: ‖c‖² (L2) or 0 (dot); +∞ for padding lanes.
    let bias: [Float]

    public init(centroids: [Float], k: Int, dim: Int, metric: ClusterMetric) {
        precondition(k > 0 && dim > 0 && centroids.count == k * dim, "centroid table shape")
        self.k = k
        self.dim = dim
        self.metric = metric
        self.centroids = centroids
        let blocks = (k + CentroidTable.block - 1) / CentroidTable.block
        self.blocks = blocks
        let scale: Float = metric == .l2 ? -2 : -1
        var t = [Float](repeating: 0, count: blocks * dim * CentroidTable.block)
        var b = [Float](repeating: .infinity, count: blocks * CentroidTable.block)
        for c in 0 ..< k {
            let blk = c / CentroidTable.block, lane = c % CentroidTable.block
            var norm: Float = 0
            for d in 0 ..< dim {
                let v = centroids[c * dim + d]
                norm += v * v
                t[(blk * dim + d) * CentroidTable.block + lane] = scale * v
            }
            b[c] = metric == .l2 ? norm : 0
        }
        transposed = t
        bias = b
    }

    /// For `count` rows starting at `base`, `stride` floats apart (each `dim` long), writes the index
    /// of the nearest centroid (ties: the lowest index) and, when `distances` is given, the distance
    /// (squared L2, or −dot).
    public func assign(_ base: UnsafePointer<Float>, stride: Int, count: Int,
                       membership: UnsafeMutablePointer<UInt32>, distances: UnsafeMutablePointer<Float>?,
                       secondDistances: UnsafeMutablePointer<Float>? = nil) {
        transposed.withUnsafeBufferPointer { tp in
            bias.withUnsafeBufferPointer { bp in
                let t = UnsafeRawPointer(tp.baseAddress!)
                let bias = UnsafeRawPointer(bp.baseAddress!)
                let dim = self.dim
                let blockBytes = dim * CentroidTable.block * 4
                for r in 0 ..< count {
                    let x = base + r * stride
                    var best = Float.infinity
                    var second = Float.infinity
                    var bestIndex = 0
                    for blk in 0 ..< blocks {
                        let bb = bias + blk * CentroidTable.block * 4
                        var a0 = bb.loadUnaligned(as: SIMD8<Float>.self)
                        var a1 = bb.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                        var a2 = bb.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
                        var a3 = bb.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
                        var p = t + blk * blockBytes
                        for d in 0 ..< dim {
                            let v = SIMD8<Float>(repeating: x[d])
                            a0 += v * p.loadUnaligned(as: SIMD8<Float>.self)
                            a1 += v * p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                            a2 += v * p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
                            a3 += v * p.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
                            p += 128
                        }
                        // Horizontal minimum by a scalar pass over the 32 lanes (the generic SIMD
                        // min/pointwiseMin are not inlined and cost more than the products).
                        var quad = (a0, a1, a2, a3)
                        let first = blk * CentroidTable.block
                        withUnsafeBytes(of: &quad) { raw in
                            for j in 0 ..< CentroidTable.block {
                                let v = raw.load(fromByteOffset: j * 4, as: Float.self)
                                if v < second {
                                    if v < best {
                                        second = best
                                        best = v
                                        bestIndex = first + j
                                    } else {
                                        second = v
                                    }
                                }
                            }
                        }
                    }
                    if best == .infinity || best.isNaN {
                        // Non-finite input: fall back to the plain comparison so the result is defined.
                        bestIndex = CentroidTable.nearestReference(x, centroids: centroids, k: k, dim: dim, metric: metric).index
                    }
                    membership[r] = UInt32(bestIndex)
                    if distances != nil || secondDistances != nil {
                        let n: Float = metric == .l2 ? DistanceKernels.normSquared(x, count: dim) : 0
                        distances?[r] = metric == .l2 ? max(0, best + n) : best
                        secondDistances?[r] = metric == .l2 ? max(0, second + n) : second
                    }
                }
            }
        }
    }

    /// Array convenience for ``assign(_:stride:count:membership:distances:)`` over contiguous rows.
    public func assign(_ rows: [Float]) -> (membership: [UInt32], distances: [Float]) {
        let n = rows.count / dim
        var m = [UInt32](repeating: 0, count: n)
        var dist = [Float](repeating: 0, count: n)
        rows.withUnsafeBufferPointer { rp in
            m.withUnsafeMutableBufferPointer { mp in
                dist.withUnsafeMutableBufferPointer { dp in
                    if n > 0 { assign(rp.baseAddress!, stride: dim, count: n, membership: mp.baseAddress!, distances: dp.baseAddress!) }
                }
            }
        }
        return (m, dist)
    }

    /// Plain reference: the nearest centroid by direct distance computation (ties: lowest index).
    public static func nearestReference(_ x: UnsafePointer<Float>, centroids: [Float], k: Int, dim: Int,
                                        metric: ClusterMetric) -> (index: Int, distance: Float) {
        var best = Float.infinity, bestIndex = 0
        for c in 0 ..< k {
            var s: Float = 0
            for d in 0 ..< dim {
                let v = centroids[c * dim + d]
                if metric == .l2 {
                    let diff = x[d] - v
                    s += diff * diff
                } else {
                    s -= x[d] * v
                }
            }
            if s < best { best = s; bestIndex = c }
        }
        return (bestIndex, best)
    }
}

/// Per-chunk sums of one Lloyd iteration, and the chunk's new assignments and bounds.
public struct KMeansPartial: Sendable {
    public var sums: [Double]
    public var counts: [Int]
    public var loss: Double
    var assignment: [UInt32]
    var lower: [Float]
    /// Rows whose nearest centroid had to be searched among all (the others kept theirs by the bounds).
    public var fullSearches: Int
}

/// The result of training.
public struct KMeansResult: Sendable {
    /// Row-major `k × dim`.
    public var centroids: [Float]
    /// Sum of the distances of the rows to their nearest centroid in the last iteration.
    public var loss: Double
    public var iterations: Int
}

/// What every chunk of one iteration shares: the centroid table and, for L2, Hamerly's bounds data.
public struct KMeansIteration: Sendable {
    public let table: CentroidTable
    /// Per centroid: half the Euclidean distance to the nearest other centroid.
    let halfSeparation: [Float]
    /// Per centroid `a`: the largest Euclidean move of any other centroid in the last update.
    let shiftExcept: [Float]
    let useBounds: Bool
}

/// Lloyd's k-means with random initial centroids, split of empty clusters, and the reference's
/// stopping rule (relative change of the loss below `tolerance`, or `maxIterations`).
///
/// For L2 the assignment step keeps Hamerly's bounds (a lower bound on each row's distance to its
/// second-nearest centroid): a row whose exact distance to its centroid is below that bound, or below
/// half the distance from its centroid to the next one, cannot change cluster and skips the search.
/// The assignments, and so the centroids, are those of plain Lloyd iterations.
public struct KMeansTrainer: Sendable {
    /// Rows per chunk of an iteration (fixed, so that results do not depend on parallelism).
    public static let chunkRows = 4096
    static let unassigned = UInt32.max

    public let data: [Float]
    public let dim: Int
    public let k: Int
    public let metric: ClusterMetric
    public let maxIterations: Int
    public let tolerance: Double
    public private(set) var centroids: [Float]
    public private(set) var loss: Double = .greatestFiniteMagnitude
    public private(set) var iterations = 0
    public private(set) var converged = false
    /// Rows searched among all centroids, summed over iterations (the rest were settled by bounds).
    public private(set) var fullSearches = 0
    private var rng: SeededGenerator
    private var assignment: [UInt32]
    private var lower: [Float]
    private var shift: [Float]

    public var rows: Int { data.count / dim }
    public var chunkCount: Int { (rows + KMeansTrainer.chunkRows - 1) / KMeansTrainer.chunkRows }
    public var isDone: Bool { converged || iterations >= maxIterations }

    /// `data` is row-major `n × dim` with `n ≥ k`; initial centroids are `k` distinct rows chosen
    /// with the seed.
    public init(data: [Float], dim: Int, k: Int, metric: ClusterMetric, seed: UInt64, maxIterations: Int = 50,
                tolerance: Double = 1e-4) {
        precondition(dim > 0 && k > 0 && data.count % dim == 0 && data.count / dim >= k, "k-means input shape")
        self.data = data
        self.dim = dim
        self.k = k
        self.metric = metric
        self.maxIterations = max(1, maxIterations)
        self.tolerance = tolerance
        var rng = SeededGenerator(seed: seed)
        let n = data.count / dim
        // Partial Fisher-Yates over row indices: k distinct rows.
        var chosen: [Int] = []
        chosen.reserveCapacity(k)
        var swaps: [Int: Int] = [:]
        for i in 0 ..< k {
            let j = i + Int(rng.next() % UInt64(n - i))
            let vj = swaps[j] ?? j
            let vi = swaps[i] ?? i
            swaps[j] = vi
            chosen.append(vj)
        }
        var c = [Float](repeating: 0, count: k * dim)
        for (ci, row) in chosen.enumerated() {
            for d in 0 ..< dim { c[ci * dim + d] = data[row * dim + d] }
        }
        centroids = c
        self.rng = rng
        assignment = [UInt32](repeating: KMeansTrainer.unassigned, count: n)
        lower = [Float](repeating: 0, count: n)
        shift = [Float](repeating: 0, count: k)
    }

    /// The search table of the current centroids.
    public func table() -> CentroidTable { CentroidTable(centroids: centroids, k: k, dim: dim, metric: metric) }

    /// What the chunks of the next iteration share (build once per iteration).
    public func iteration() -> KMeansIteration {
        let t = table()
        guard metric == .l2 else {
            return KMeansIteration(table: t, halfSeparation: [], shiftExcept: [], useBounds: false)
        }
        var half = [Float](repeating: 0, count: k)
        if k > 1 {
            var m = [UInt32](repeating: 0, count: k)
            var d1 = [Float](repeating: 0, count: k)
            var d2 = [Float](repeating: 0, count: k)
            centroids.withUnsafeBufferPointer { cp in
                t.assign(cp.baseAddress!, stride: dim, count: k, membership: &m, distances: &d1, secondDistances: &d2)
            }
            for c in 0 ..< k {
                // The nearest centroid to c is c itself (distance 0); the runner-up is the nearest other.
                let other = m[c] == UInt32(c) ? d2[c] : min(d1[c], d2[c])
                half[c] = other.isFinite ? other.squareRoot() / 2 : 0
            }
        }
        var top = -Float.infinity, topIndex = -1, next = -Float.infinity
        for (c, v) in shift.enumerated() {
            if v > top { next = top; top = v; topIndex = c } else if v > next { next = v }
        }
        let except = (0 ..< k).map { $0 == topIndex ? max(0, next) : max(0, top) }
        return KMeansIteration(table: t, halfSeparation: half, shiftExcept: except, useBounds: true)
    }

    /// Assigns the rows of chunk `c` and sums them per cluster.
    public func partial(chunk c: Int, iteration it: KMeansIteration) -> KMeansPartial {
        let start = c * KMeansTrainer.chunkRows
        let n = min(KMeansTrainer.chunkRows, rows - start)
        let dim = self.dim
        var sums = [Double](repeating: 0, count: k * dim)
        var counts = [Int](repeating: 0, count: k)
        var loss: Double = 0
        var assign = Array(assignment[start ..< start + n])
        var low = Array(lower[start ..< start + n])
        var dist = [Float](repeating: 0, count: n)
        var searched = 0
        data.withUnsafeBufferPointer { dp in
            let base = dp.baseAddress! + start * dim
            centroids.withUnsafeBufferPointer { cp in
                let cen = cp.baseAddress!
                var second: Float = 0
                for r in 0 ..< n {
                    let x = base + r * dim
                    let a = assign[r]
                    if it.useBounds, a != KMeansTrainer.unassigned {
                        let l = low[r] - it.shiftExcept[Int(a)]
                        let u2 = DistanceKernels.l2Squared(x, cen + Int(a) * dim, count: dim)
                        if u2.squareRoot() <= max(l, it.halfSeparation[Int(a)]) {
                            low[r] = l
                            dist[r] = u2
                            continue
                        }
                    }
                    searched += 1
                    assign.withUnsafeMutableBufferPointer { ap in
                        dist.withUnsafeMutableBufferPointer { dd in
                            it.table.assign(x, stride: dim, count: 1, membership: ap.baseAddress! + r,
                                            distances: dd.baseAddress! + r, secondDistances: &second)
                        }
                    }
                    low[r] = it.useBounds && second.isFinite ? second.squareRoot() : 0
                }
            }
            sums.withUnsafeMutableBufferPointer { sp in
                for r in 0 ..< n {
                    let cl = Int(assign[r])
                    counts[cl] += 1
                    loss += Double(dist[r])
                    let x = base + r * dim
                    let s = sp.baseAddress! + cl * dim
                    for d in 0 ..< dim { s[d] += Double(x[d]) }
                }
            }
        }
        return KMeansPartial(sums: sums, counts: counts, loss: loss, assignment: assign, lower: low,
                             fullSearches: searched)
    }

    /// Merges the chunks' partial sums (in chunk order), moves the centroids to the means, splits
    /// empty clusters, and checks convergence.
    public mutating func finishIteration(_ partials: [KMeansPartial]) {
        precondition(partials.count == chunkCount, "one partial per chunk")
        var sums = [Double](repeating: 0, count: k * dim)
        var counts = [Int](repeating: 0, count: k)
        var newLoss: Double = 0
        for (c, p) in partials.enumerated() {
            for i in 0 ..< sums.count { sums[i] += p.sums[i] }
            for i in 0 ..< k { counts[i] += p.counts[i] }
            newLoss += p.loss
            let start = c * KMeansTrainer.chunkRows
            precondition(p.assignment.count == min(KMeansTrainer.chunkRows, rows - start), "chunk size")
            assignment.replaceSubrange(start ..< start + p.assignment.count, with: p.assignment)
            lower.replaceSubrange(start ..< start + p.lower.count, with: p.lower)
            fullSearches += p.fullSearches
        }
        var c = centroids
        for cl in 0 ..< k where counts[cl] > 0 {
            let inv = 1.0 / Double(counts[cl])
            for d in 0 ..< dim { c[cl * dim + d] = Float(sums[cl * dim + d] * inv) }
        }
        splitEmpty(&c, counts: &counts)
        for cl in 0 ..< k {
            let s = c.withUnsafeBufferPointer { np in
                centroids.withUnsafeBufferPointer { op in
                    DistanceKernels.l2Squared(np.baseAddress! + cl * dim, op.baseAddress! + cl * dim, count: dim)
                }
            }
            // Rounded up a little so that float error never makes a bound unsafe.
            shift[cl] = s.squareRoot() * 1.0001 + 1e-6
        }
        centroids = c
        iterations += 1
        if abs(loss - newLoss) < tolerance * abs(newLoss) { converged = true }
        loss = newLoss
    }

    /// Gives each empty cluster half of a large cluster (chosen with probability growing with its
    /// size), perturbing the two centroids apart.
    private mutating func splitEmpty(_ c: inout [Float], counts: inout [Int]) {
        let n = rows
        guard counts.contains(0), n > k else { return }
        let eps: Float = 1.0 / 1024
        for i in 0 ..< k where counts[i] == 0 {
            var j = 0
            while true {
                let p = Double(counts[j] - 1) / Double(n - k)
                let u = Double(rng.next() >> 11) / Double(1 << 53)
                if counts[j] > 1, u < p { break }
                j = (j + 1) % k
            }
            counts[i] = counts[j] / 2
            counts[j] -= counts[i]
            for d in 0 ..< dim {
                let v = c[j * dim + d]
                if d % 2 == 0 {
                    c[i * dim + d] = v * (1 + eps); c[j * dim + d] = v * (1 - eps)
                } else {
                    c[i * dim + d] = v * (1 - eps); c[j * dim + d] = v * (1 + eps)
                }
            }
        }
    }

    /// Runs one iteration serially.
    public mutating func step() {
        let it = iteration()
        finishIteration((0 ..< chunkCount).map { partial(chunk: $0, iteration: it) })
    }

    /// The current state as a result.
    public var result: KMeansResult { KMeansResult(centroids: centroids, loss: loss, iterations: iterations) }

    /// Trains serially to the end.
    public static func train(data: [Float], dim: Int, k: Int, metric: ClusterMetric, seed: UInt64,
                             maxIterations: Int = 50, tolerance: Double = 1e-4) -> KMeansResult {
        var t = KMeansTrainer(data: data, dim: dim, k: k, metric: metric, seed: seed, maxIterations: maxIterations,
                              tolerance: tolerance)
        while !t.isDone { t.step() }
        return t.result
    }
}

/// Plain reference k-means (same initialisation, same update rule, direct distances, no chunking)
/// that tests compare ``KMeansTrainer`` with.
public enum KMeansReference {
    public static func train(data: [Float], dim: Int, k: Int, metric: ClusterMetric, seed: UInt64,
                             maxIterations: Int = 50, tolerance: Double = 1e-4) -> KMeansResult {
        // Same initial centroids as the trainer.
        let start = KMeansTrainer(data: data, dim: dim, k: k, metric: metric, seed: seed, maxIterations: maxIterations,
                                  tolerance: tolerance)
        var c = start.centroids
        let n = data.count / dim
        var loss = Double.greatestFiniteMagnitude
        var it = 0
        while it < max(1, maxIterations) {
            var sums = [Double](repeating: 0, count: k * dim)
            var counts = [Int](repeating: 0, count: k)
            var newLoss: Double = 0
            data.withUnsafeBufferPointer { dp in
                for r in 0 ..< n {
                    let x = dp.baseAddress! + r * dim
                    let (idx, dist) = CentroidTable.nearestReference(x, centroids: c, k: k, dim: dim, metric: metric)
                    counts[idx] += 1
                    newLoss += Double(dist)
                    for d in 0 ..< dim { sums[idx * dim + d] += Double(x[d]) }
                }
            }
            for cl in 0 ..< k where counts[cl] > 0 {
                for d in 0 ..< dim { c[cl * dim + d] = Float(sums[cl * dim + d] / Double(counts[cl])) }
            }
            it += 1
            let done = abs(loss - newLoss) < tolerance * abs(newLoss)
            loss = newLoss
            if done { break }
        }
        return KMeansResult(centroids: c, loss: loss, iterations: it)
    }
}
