import Testing
@testable import LanceKernels
import LanceTestSupport

/// Deterministic generator for test data (SplitMix64).
typealias TestRNG = SplitMix64

extension SplitMix64 {
    mutating func float() -> Float { Float(next() >> 40) / Float(1 << 24) * 2 - 1 }
    mutating func floats(_ n: Int) -> [Float] { (0..<n).map { _ in float() } }
}

private func close(_ a: Float, _ b: Float, rel: Float = 1e-4) -> Bool {
    abs(a - b) <= rel * max(1, abs(a), abs(b))
}

@Suite struct DistanceKernelTests {
    @Test(arguments: [1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100, 768])
    func singlePairMatchesReference(dim: Int) {
        var rng = TestRNG(state: UInt64(dim))
        for _ in 0..<5 {
            let a = rng.floats(dim), b = rng.floats(dim)
            #expect(close(DistanceKernels.l2Squared(a, b), DistanceKernels.referenceL2(a, b)))
            #expect(close(DistanceKernels.dot(a, b), DistanceKernels.referenceDot(a, b)))
            #expect(close(DistanceKernels.cosineDistance(a, b), DistanceKernels.referenceCosineDistance(a, b)))
            for m in DistanceMetric.allCases {
                #expect(close(DistanceKernels.distance(m, a, b), DistanceKernels.referenceDistance(m, a, b)))
            }
        }
    }

    @Test func knownValues() {
        #expect(DistanceKernels.l2Squared([1, 2, 3], [4, 6, 3]) == 25)
        #expect(DistanceKernels.distance(.dot, [1, 2, 3], [4, 5, 6]) == -32)
        #expect(close(DistanceKernels.cosineDistance([1, 0], [0, 1]), 1))
        #expect(close(DistanceKernels.cosineDistance([1, 1], [2, 2]), 0))
        #expect(DistanceKernels.cosineDistance([0, 0], [1, 1]).isNaN)
        #expect(DistanceMetric(name: "Euclidean") == .l2)
        #expect(DistanceMetric(name: "hamming") == nil)
    }

    @Test(arguments: DistanceMetric.allCases)
    func batchMatchesReference(metric: DistanceMetric) {
        var rng = TestRNG(state: 42)
        for dim in [5, 32, 768] {
            let n = 37
            let q = rng.floats(dim), vs = rng.floats(n * dim)
            let out = DistanceKernels.batch(metric, query: q, vectors: vs)
            for i in 0..<n {
                let ref = DistanceKernels.referenceDistance(metric, q, Array(vs[(i * dim)..<((i + 1) * dim)]))
                #expect(close(out[i], ref))
            }
        }
    }

    /// Rows go through the batch kernels four at a time (the last group padded): a row's distance
    /// must not depend on where it sits in the batch or on how many rows the batch has.
    @Test(arguments: DistanceMetric.allCases)
    func batchDistanceIndependentOfPosition(metric: DistanceMetric) {
        var rng = TestRNG(state: 9)
        for dim in [3, 8, 13, 768] {
            let n = 11
            let q = rng.floats(dim), vs = rng.floats(n * dim)
            let all = DistanceKernels.batch(metric, query: q, vectors: vs)
            for start in [0, 1, 2, 3, 5] {
                for len in [1, 2, 3, 5, n - start] where start + len <= n {
                    let part = DistanceKernels.batch(metric, query: q, vectors: Array(vs[start * dim ..< (start + len) * dim]))
                    #expect(part == Array(all[start ..< start + len]), "dim \(dim) rows \(start)..<\(start + len)")
                }
            }
        }
    }

    @Test(arguments: DistanceMetric.allCases)
    func float64MatchesReference(metric: DistanceMetric) {
        var rng = TestRNG(state: 7)
        let dim = 19, n = 11
        let q = (0..<dim).map { _ in Double(rng.float()) }
        let vs = (0..<(n * dim)).map { _ in Double(rng.float()) }
        var out = [Float](repeating: 0, count: n)
        q.withUnsafeBufferPointer { qp in vs.withUnsafeBufferPointer { vp in out.withUnsafeMutableBufferPointer { o in
            DistanceKernels.batch(metric, query: qp, vectors: vp, dim: dim, out: o) } } }
        for i in 0..<n {
            let ref = DistanceKernels.referenceDistance(metric, q, Array(vs[(i * dim)..<((i + 1) * dim)]))
            #expect(close(out[i], Float(ref), rel: 1e-5))
        }
    }

    @Test func halfConversionRoundTrips() {
        // Every finite half widens and narrows back to itself.
        for bits in UInt16.min...UInt16.max {
            let f = DistanceKernels.halfToFloat(bits)
            if f.isNaN { #expect(DistanceKernels.floatToHalf(f) & 0x7C00 == 0x7C00); continue }
            #expect(DistanceKernels.floatToHalf(f) == bits)
        }
        #expect(DistanceKernels.halfToFloat(0x3C00) == 1)
        #expect(DistanceKernels.halfToFloat(0xC000) == -2)
        #expect(DistanceKernels.halfToFloat(0x0001) == Float(1) / 16_777_216)
        #expect(DistanceKernels.halfToFloat(0x7C00) == .infinity)
        #expect(DistanceKernels.floatToHalf(65520) == 0x7C00)
        #expect(DistanceKernels.floatToHalf(1e-9) == 0)
    }

    @Test(arguments: DistanceMetric.allCases)
    func float16BatchMatchesWidenedReference(metric: DistanceMetric) {
        var rng = TestRNG(state: 9)
        let dim = 24, n = 2000  // several widening blocks
        let q = rng.floats(dim)
        let halves = (0..<(n * dim)).map { _ in DistanceKernels.floatToHalf(rng.float()) }
        var out = [Float](repeating: 0, count: n)
        q.withUnsafeBufferPointer { qp in halves.withUnsafeBufferPointer { hp in out.withUnsafeMutableBufferPointer { o in
            DistanceKernels.batch(metric, query: qp, halfVectors: hp, dim: dim, out: o) } } }
        for i in stride(from: 0, to: n, by: 97) {
            let row = halves[(i * dim)..<((i + 1) * dim)].map(DistanceKernels.halfToFloat)
            #expect(close(out[i], DistanceKernels.referenceDistance(metric, q, row)))
        }
    }

    @Test func topKKeepsSmallestWithDeterministicTies() {
        var rng = TestRNG(state: 3)
        let ds = (0..<5000).map { _ in Float(Int(rng.next() % 1000)) }  // many ties
        for k in [0, 1, 10, 100, 6000] {
            var top = TopK(k: k)
            ds.withUnsafeBufferPointer { top.push(distances: $0, idBase: 0) }
            let expected = ds.enumerated().map { Neighbor(distance: $0.element, id: UInt64($0.offset)) }
                .sorted(by: Neighbor.before).prefix(k)
            #expect(top.sorted() == Array(expected))
        }
        var top = TopK(k: 2)
        top.push(.nan, id: 1)
        top.push(3, id: 2)
        var other = TopK(k: 2)
        other.push(1, id: 5)
        other.push(4, id: 6)
        top.merge(other)
        #expect(top.sorted() == [Neighbor(distance: 1, id: 5), Neighbor(distance: 3, id: 2)])
    }

    @Test func pqTablesAndADC() throws {
        var rng = TestRNG(state: 11)
        let dim = 16, m = 4, nc = 256, n = 50, sd = dim / m
        let codebook = rng.floats(nc * dim)
        try PQ.validate(dim: dim, numSubVectors: m, numCentroids: nc, codebookCount: codebook.count)
        let codes = (0..<n).map { _ in (0..<m).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
        func decode(_ c: [UInt8]) -> [Float] {
            var v: [Float] = []
            for j in 0..<m {
                let start: Int = (j * nc + Int(c[j])) * sd
                v.append(contentsOf: codebook[start..<(start + sd)])
            }
            return v
        }
        var transposed = [UInt8](repeating: 0, count: m * n)
        for i in 0..<n { for j in 0..<m { transposed[j * n + i] = codes[i][j] } }
        let q = rng.floats(dim)
        for metric in [DistanceMetric.l2, .dot] {
            let table = PQ.distanceTable(query: q, codebook: codebook, numSubVectors: m, numCentroids: nc, metric: metric)
            let cbT = PQ.transposeCodebook(codebook, dim: dim, numSubVectors: m, numCentroids: nc)
            var table2 = [Float](repeating: 0, count: m * nc)
            q.withUnsafeBufferPointer { qp in cbT.withUnsafeBufferPointer { cb in table2.withUnsafeMutableBufferPointer { t in
                PQ.distanceTable(query: qp, transposedCodebook: cb, numSubVectors: m, numCentroids: nc, metric: metric,
                                 into: t) } } }
            #expect(zip(table, table2).allSatisfy { close($0, $1) })
            var out = [Float](repeating: 0, count: n), out2 = out
            table.withUnsafeBufferPointer { t in transposed.withUnsafeBufferPointer { c in
                out.withUnsafeMutableBufferPointer { o in
                    PQ.adcTransposed(table: t, numSubVectors: m, numCentroids: nc, codes: c, count: n, out: o) } } }
            let rowMajor = codes.flatMap { $0 }
            table.withUnsafeBufferPointer { t in rowMajor.withUnsafeBufferPointer { c in
                out2.withUnsafeMutableBufferPointer { o in
                    PQ.adcRowMajor(table: t, numSubVectors: m, numCentroids: nc, codes: c, count: n, out: o) } } }
            for i in 0..<n {
                let ref = DistanceKernels.referenceDistance(metric, q, decode(codes[i]))
                #expect(close(out[i], ref))
                #expect(close(out2[i], ref))
            }
        }
        #expect(throws: CodecError.self) {
            try PQ.validate(dim: 10, numSubVectors: 4, numCentroids: 256, codebookCount: 2560)
        }
        #expect(throws: CodecError.self) {
            try PQ.validate(dim: 8, numSubVectors: 4, numCentroids: 256, codebookCount: 1)
        }
    }
}
