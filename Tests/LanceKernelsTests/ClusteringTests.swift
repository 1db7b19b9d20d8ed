import Testing
@testable import LanceKernels

/// Deterministic test data.
private func randomFloats(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var g = SeededGenerator(seed: seed)
    return (0 ..< n).map { _ in (Float(g.next() >> 40) / Float(1 << 24) * 2 - 1) * scale }
}

/// `clusters` well-separated blobs of `per` points each in `dim` dimensions.
private func blobs(clusters: Int, per: Int, dim: Int, seed: UInt64) -> [Float] {
    let centers = randomFloats(clusters * dim, seed: seed, scale: 50)
    let noise = randomFloats(clusters * per * dim, seed: seed + 1, scale: 1)
    var out = [Float]()
    for i in 0 ..< per {
        for c in 0 ..< clusters {
            for d in 0 ..< dim { out.append(centers[c * dim + d] + noise[((i * clusters) + c) * dim + d]) }
        }
    }
    return out
}

@Suite struct ClusteringTests {
    @Test(arguments: [ClusterMetric.l2, .dot])
    func assignmentMatchesReference(metric: ClusterMetric) {
        let dim = 13, k = 37, n = 200
        let centroids = randomFloats(k * dim, seed: 7)
        let rows = randomFloats(n * dim, seed: 8)
        let table = CentroidTable(centroids: centroids, k: k, dim: dim, metric: metric)
        let (m, dist) = table.assign(rows)
        rows.withUnsafeBufferPointer { rp in
            for r in 0 ..< n {
                let ref = CentroidTable.nearestReference(rp.baseAddress! + r * dim, centroids: centroids, k: k, dim: dim,
                                                         metric: metric)
                let chosen = CentroidTable.nearestReference(rp.baseAddress! + r * dim,
                                                            centroids: Array(centroids[Int(m[r]) * dim ..< (Int(m[r]) + 1) * dim]),
                                                            k: 1, dim: dim, metric: metric)
                #expect(abs(chosen.distance - ref.distance) <= 1e-4 * max(1, abs(ref.distance)), "row \(r)")
                #expect(abs(dist[r] - ref.distance) <= 1e-3 * max(1, abs(ref.distance)), "row \(r)")
            }
        }
    }

    @Test func strideAndPaddingLanes() {
        // k = 1 leaves 31 padding lanes, which must never win; rows are read `stride` apart.
        let dim = 3
        let table = CentroidTable(centroids: [1, 2, 3], k: 1, dim: dim, metric: .l2)
        let rows: [Float] = [1, 2, 3, 99, 0, 0, 0, 99]
        var m = [UInt32](repeating: 7, count: 2)
        var d = [Float](repeating: -1, count: 2)
        rows.withUnsafeBufferPointer { rp in
            table.assign(rp.baseAddress!, stride: 4, count: 2, membership: &m, distances: &d)
        }
        #expect(m == [0, 0])
        #expect(abs(d[0]) < 1e-5)
        #expect(abs(d[1] - 14) < 1e-4)
    }

    @Test func nonFiniteRowsGetAValidCentroid() {
        let table = CentroidTable(centroids: [0, 0, 5, 5], k: 2, dim: 2, metric: .l2)
        let (m, _) = table.assign([.nan, 1, .infinity, 0])
        #expect(m.allSatisfy { $0 < 2 })
    }

    @Test func trainerMatchesPlainReference() {
        let dim = 6, k = 5
        let data = blobs(clusters: k, per: 60, dim: dim, seed: 11)
        let fast = KMeansTrainer.train(data: data, dim: dim, k: k, metric: .l2, seed: 42, maxIterations: 20)
        let ref = KMeansReference.train(data: data, dim: dim, k: k, metric: .l2, seed: 42, maxIterations: 20)
        #expect(fast.iterations == ref.iterations)
        #expect(abs(fast.loss - ref.loss) <= 1e-3 * ref.loss)
        for i in 0 ..< fast.centroids.count {
            #expect(abs(fast.centroids[i] - ref.centroids[i]) < 1e-3)
        }
    }

    @Test func trainerFindsSeparatedClusters() {
        let dim = 4, k = 6
        let data = blobs(clusters: k, per: 40, dim: dim, seed: 3)
        let r = KMeansTrainer.train(data: data, dim: dim, k: k, metric: .l2, seed: 1)
        // Every row's nearest centroid is its own blob's: points of a blob share a cluster.
        let (m, _) = CentroidTable(centroids: r.centroids, k: k, dim: dim, metric: .l2).assign(data)
        var labelOfBlob = [UInt32?](repeating: nil, count: k)
        var consistent = true
        for (i, c) in m.enumerated() {
            let blob = i % k
            if let l = labelOfBlob[blob], l != c { consistent = false }
            labelOfBlob[blob] = c
        }
        // Local minima can merge two blobs; with this seed and data they do not.
        #expect(consistent)
        #expect(Set(labelOfBlob.compactMap { $0 }).count == k)
        #expect(r.iterations < 50)
    }

    @Test func chunkedIterationIsDeterministic() {
        // More rows than one chunk: partials merged in chunk order give the same result every time.
        let dim = 2, k = 3
        let data = randomFloats((KMeansTrainer.chunkRows + 500) * dim, seed: 5)
        var a = KMeansTrainer(data: data, dim: dim, k: k, metric: .l2, seed: 9, maxIterations: 3)
        #expect(a.chunkCount == 2)
        a.step(); a.step()
        var b = KMeansTrainer(data: data, dim: dim, k: k, metric: .l2, seed: 9, maxIterations: 3)
        let it = b.iteration()
        b.finishIteration([b.partial(chunk: 0, iteration: it), b.partial(chunk: 1, iteration: it)])
        b.step()
        #expect(a.centroids == b.centroids)
        #expect(a.loss == b.loss)
    }

    @Test func emptyClustersAreSplit() {
        // 3 distinct points repeated, 5 clusters: some start empty; none stays empty or NaN.
        let pts: [[Float]] = [[0, 0], [10, 10], [20, 0]]
        var data = [Float]()
        for i in 0 ..< 60 { data += pts[i % 3] }
        data += [0.5, 0.5, 10.5, 10, 20, 0.5, 1, 0, 11, 10]
        let r = KMeansTrainer.train(data: data, dim: 2, k: 5, metric: .l2, seed: 2, maxIterations: 10)
        #expect(r.centroids.allSatisfy { $0.isFinite })
    }

    @Test func productQuantizerEncodesLikeReference() {
        let dim = 16, m = 4
        let train = randomFloats(600 * dim, seed: 21)
        let pq = ProductQuantizer.train(data: train, dim: dim, numSubVectors: m, seed: 4, maxIterations: 4)
        #expect(pq.codebook.count == 256 * dim)
        let rows = randomFloats(50 * dim, seed: 22)
        #expect(pq.encode(rows) == pq.encodeReference(rows))
        // A training row is reconstructed much better than by the mean (zero) vector.
        let code = pq.encode(Array(train[0 ..< dim]))
        let back = pq.decode(code)
        var err: Float = 0, norm: Float = 0
        for d in 0 ..< dim {
            err += (back[d] - train[d]) * (back[d] - train[d])
            norm += train[d] * train[d]
        }
        #expect(err < 0.5 * norm)
    }

    @Test func subVectorsAndTranspose() {
        let data: [Float] = [0, 1, 2, 3, 4, 5, 6, 7]
        #expect(ProductQuantizer.subVectors(data, dim: 4, numSubVectors: 2, m: 1) == [2, 3, 6, 7])
        // 3 rows × 2 codes → all code-0s then all code-1s.
        #expect(ProductQuantizer.transpose([1, 2, 3, 4, 5, 6], numSubVectors: 2) == [1, 3, 5, 2, 4, 6])
    }
}
