import Testing
@testable import LanceKernels

@Suite struct PQResidualTests {
    private func near(_ a: Float, _ b: Float, rel: Float = 1e-4) -> Bool {
        abs(a - b) <= rel * max(1, abs(a), abs(b))
    }

    /// partition terms + query terms + ‖q_m − c_m‖² equals the plain table of the residual q − c.
    @Test(arguments: [(16, 4), (48, 48), (40, 8)])
    func splitTableMatchesPlainResidualTable(dim: Int, m: Int) {
        var rng = TestRNG(state: UInt64(dim * 31 + m))
        let nc = 256, sd = dim / m
        let codebook = rng.floats(nc * dim), q = rng.floats(dim), c = rng.floats(dim)
        let cbT = PQ.transposeCodebook(codebook, dim: dim, numSubVectors: m, numCentroids: nc)
        let resid = zip(q, c).map { $0 - $1 }
        let plain = PQ.distanceTable(query: resid, codebook: codebook, numSubVectors: m, numCentroids: nc, metric: .l2)
        var pt = [Float](repeating: 0, count: m * nc), qt = pt, sum = pt
        c.withUnsafeBufferPointer { cp in cbT.withUnsafeBufferPointer { cb in pt.withUnsafeMutableBufferPointer { o in
            PQ.partitionTerms(centroid: cp, transposedCodebook: cb, numSubVectors: m, numCentroids: nc, into: o) } } }
        q.withUnsafeBufferPointer { qp in cbT.withUnsafeBufferPointer { cb in qt.withUnsafeMutableBufferPointer { o in
            PQ.queryTerms(query: qp, transposedCodebook: cb, numSubVectors: m, numCentroids: nc, scale: -2, into: o) } } }
        pt.withUnsafeBufferPointer { a in qt.withUnsafeBufferPointer { b in sum.withUnsafeMutableBufferPointer { o in
            PQ.addTables(a, b, into: o) } } }
        for j in 0 ..< m {
            let rn = (0 ..< sd).reduce(Float(0)) { $0 + resid[j * sd + $1] * resid[j * sd + $1] }
            for x in 0 ..< nc {
                #expect(near(sum[j * nc + x] + rn, plain[j * nc + x], rel: 1e-4))
            }
        }
        // scale −1 is the dot table.
        let dotPlain = PQ.distanceTable(query: q, codebook: codebook, numSubVectors: m, numCentroids: nc, metric: .dot)
        q.withUnsafeBufferPointer { qp in cbT.withUnsafeBufferPointer { cb in qt.withUnsafeMutableBufferPointer { o in
            PQ.queryTerms(query: qp, transposedCodebook: cb, numSubVectors: m, numCentroids: nc, scale: -1, into: o) } } }
        #expect(zip(qt, dotPlain).allSatisfy { near($0, $1) })
    }

    @Test func addTablesHandlesTails() {
        var rng = TestRNG(state: 3)
        for n in [0, 5, 16, 37] {
            let a = rng.floats(n), b = rng.floats(n)
            var o = [Float](repeating: 0, count: n)
            a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in o.withUnsafeMutableBufferPointer { z in
                PQ.addTables(x, y, into: z) } } }
            #expect(o == zip(a, b).map { $0 + $1 })
        }
    }

    /// Blocked layout + blocked ADC equals the reference ADC on the transposed codes.
    @Test(arguments: [0, 1, 7, 8, 9, 63, 200])
    func blockedADCMatchesReference(n: Int) {
        var rng = TestRNG(state: UInt64(n + 17))
        for m in [1, 3, 16, 48] {
            let table = rng.floats(m * 256)
            let codes = (0 ..< m * n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var blocked = [UInt8](repeating: 0xAA, count: (n + 7) / 8 * 8 * m)
            var ref = [Float](repeating: 0, count: n), fast = [Float](repeating: -1, count: n)
            table.withUnsafeBufferPointer { t in codes.withUnsafeBufferPointer { c in
                blocked.withUnsafeMutableBufferPointer { b in
                    PQ.blockCodes8(transposed: c, numSubVectors: m, count: n, into: b) }
                ref.withUnsafeMutableBufferPointer { o in
                    PQ.adcTransposed(table: t, numSubVectors: m, numCentroids: 256, codes: c, count: n, out: o) } } }
            for i in 0 ..< n { for j in 0 ..< m { #expect(blocked[(i / 8 * m + j) * 8 + i % 8] == codes[j * n + i]) } }
            table.withUnsafeBufferPointer { t in blocked.withUnsafeBufferPointer { c in
                fast.withUnsafeMutableBufferPointer { o in
                    PQ.adcBlocked8(table: t, numSubVectors: m, codes: c, count: n, base: 0.25, out: o) } } }
            for i in 0 ..< n { #expect(near(fast[i], ref[i] + 0.25)) }
        }
    }
}

