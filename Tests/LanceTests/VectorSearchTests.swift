import Foundation
import Lance
import LanceArrow
import LanceCore
import LanceKernels
import Testing

/// Vector search on datasets written by Lancelet: exact search against a brute-force reference, recall floors
/// over an IVF_PQ index, filters, deletions, the unindexed tail, and input errors.
@Suite struct VectorSearchTests {
    static let dim = 16

    /// Deterministic clustered vectors: `n` rows around 20 centres.
    static func vectors(_ n: Int, seed: UInt64) -> [Float] {
        var s = seed
        func next() -> Float {
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(s >> 40) / Float(1 << 24) * 2 - 1
        }
        let centres = (0 ..< 20 * dim).map { _ in next() * 4 }
        var out: [Float] = []
        out.reserveCapacity(n * dim)
        for i in 0 ..< n {
            let c = (i * 7919) % 20
            for d in 0 ..< dim { out.append(centres[c * dim + d] + next()) }
        }
        return out
    }

    static func batch(_ v: [Float], firstId: Int64) throws -> RecordBatch {
        let n = v.count / dim
        let ids = (0 ..< n).map { firstId + Int64($0) }
        let schema = Schema([Field("id", .int64, nullable: false), Field("cat", .int32, nullable: false),
                             Field("vec", .fixedSizeList(Field("item", .float32), dim))])
        return try RecordBatch(schema: schema, columns: [
            .primitive(.int64, values: ids), .primitive(.int32, values: ids.map { Int32($0 % 4) }),
            .fixedSizeList(.primitive(.float32, values: v), size: dim),
        ])
    }

    static func makeDataset(rows: Int = 3000) async throws -> (Dataset, [Float]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lancelet-vsearch-\(UUID().uuidString)").path
        let v = vectors(rows, seed: 42)
        let b = try batch(v, firstId: 0)
        let ds = try await Dataset.create(at: dir, schema: b.schema, batches: [b],
                                          options: WriteOptions(maxRowsPerFile: 1000))
        return (ds, v)
    }

    static func bruteForce(_ v: [Float], _ q: [Float], metric: DistanceMetric, k: Int, where keep: (Int) -> Bool = { _ in true })
        -> [Int] {
        let n = v.count / dim
        var d: [(Float, Int)] = []
        for i in 0 ..< n where keep(i) {
            var r = DistanceKernels.referenceDistance(metric, q, Array(v[(i * dim) ..< ((i + 1) * dim)]))
            if metric == .dot { r += 1 }
            d.append((r, i))
        }
        return d.sorted { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }.prefix(k).map(\.1)
    }

    static func ids(_ b: RecordBatch) -> [Int] {
        (0 ..< b.count).map { Int(b.column("id")!.value($0, as: Int64.self)) }
    }

    @Test func exactSearchMatchesBruteForce() async throws {
        let (ds, v) = try await Self.makeDataset()
        let q = Array(Self.vectors(1, seed: 7))
        for metric in DistanceMetric.allCases {
            let b = try await ds.search(q).metric(metric).select(["id"]).limit(15).toBatch()
            #expect(Self.ids(b) == Self.bruteForce(v, q, metric: metric, k: 15), "\(metric)")
            let d = (0 ..< b.count).map { b.column("_distance")!.value($0, as: Float.self) }
            #expect(d == d.sorted())
        }
        // Filter + offset.
        let f = try await ds.search(q).where("cat = 2").select(["id", "cat"]).limit(5).offset(3).toBatch()
        #expect(Self.ids(f) == Array(Self.bruteForce(v, q, metric: .l2, k: 8, where: { $0 % 4 == 2 }).dropFirst(3)))
        // Query is a stored row: found first at distance 0.
        let own = try await ds.search(try await ds.vector(atRow: 1234)).limit(1).withRowId().toBatch()
        #expect(Self.ids(own) == [1234])
        #expect(own.column("_distance")!.value(0, as: Float.self) == 0)
        #expect(own.schema.fields.map(\.name) == ["id", "cat", "vec", "_distance", "_rowid"])
    }

    @Test func indexedSearchRecallDeletionsAndTail() async throws {
        var (ds, v) = try await Self.makeDataset()
        ds = try await ds.createIndex(column: "vec", options: VectorIndexOptions(
            type: .ivfPQ, metric: .l2, numPartitions: 8, numSubVectors: 8, maxIterations: 8, sampleRate: 64, seed: 5))
        let queries = (0 ..< 20).map { i in Array(Self.vectors(20, seed: 99)[(i * Self.dim) ..< ((i + 1) * Self.dim)]) }
        var hits = 0, hitsRefined = 0
        for q in queries {
            let truth = Set(Self.bruteForce(v, q, metric: .l2, k: 10))
            let plain = try await ds.search(q).nprobes(8).select(["id"]).toBatch()
            let refined = try await ds.search(q).nprobes(8).refineFactor(5).select(["id"]).toBatch()
            hits += Set(Self.ids(plain)).intersection(truth).count
            hitsRefined += Set(Self.ids(refined)).intersection(truth).count
            let (_, plan) = try await ds.search(q).execute()
            #expect(plan.usedIndex == "vec_idx")
        }
        #expect(Double(hits) / 200 >= 0.5)
        #expect(Double(hitsRefined) / 200 >= 0.9)
        #expect(hitsRefined >= hits)

        // Deleted rows never appear; rows appended after the index are found (exactly).
        let target = try await ds.vector(atRow: 10)
        ds = try await ds.delete(offsets: [10])
        let afterDelete = try await ds.search(target).nprobes(8).limit(50).select(["id"]).toBatch()
        #expect(!Self.ids(afterDelete).contains(10))
        let tail = Self.vectors(3001, seed: 1234).suffix(Self.dim).map { $0 + 50 }  // far from everything else
        ds = try await ds.append([try Self.batch(Array(tail), firstId: 5000)])
        let (found, plan) = try await ds.search(Array(tail)).nprobes(1).limit(3).select(["id"]).execute()
        #expect(plan.unindexedFragments.count == 1)
        #expect(Self.ids(found).first == 5000)
        #expect(found.column("_distance")!.value(0, as: Float.self) == 0)
        // Prefilter: every result matches; postfilter: a subset of the unfiltered results.
        let q = queries[0]
        let pre = try await ds.search(q).where("cat = 1").select(["id", "cat"]).limit(10).toBatch()
        #expect(pre.count == 10 && Self.ids(pre).allSatisfy { $0 % 4 == 1 })
        let all = Set(Self.ids(try await ds.search(q).select(["id"]).limit(10).toBatch()))
        let post = Self.ids(try await ds.search(q).where("cat = 1", prefilter: false).select(["id"]).limit(10).toBatch())
        #expect(Set(post).isSubset(of: all) && post.allSatisfy { $0 % 4 == 1 })
        // bypassVectorIndex gives the exact answer.
        let exact = try await ds.search(q).bypassVectorIndex().select(["id"]).toBatch()
        #expect(Self.ids(exact) == Self.bruteForce(v, q, metric: .l2, k: 10, where: { $0 != 10 }))
    }

    @Test func badInputIsAnInputError() async throws {
        let (ds, _) = try await Self.makeDataset(rows: 100)
        let q = [Float](repeating: 0.5, count: Self.dim)
        await expectCode(.invalidInput) { try await ds.search([1, 2, 3]).toBatch() }
        var nan = q
        nan[3] = .nan
        await expectCode(.invalidInput) { try await ds.search(nan).toBatch() }
        await expectCode(.invalidInput) { try await ds.search(q, column: "nope").toBatch() }
        await expectCode(.invalidInput) { try await ds.search(q, column: "cat").toBatch() }
        await expectCode(.invalidInput) { try await ds.search(q).select(["nope"]).toBatch() }
        await expectCode(.invalidInput) { try await ds.search(q).where("nope > 1").toBatch() }
        await expectCode(.invalidInput) { try await ds.search(q).limit(-1).toBatch() }
    }
}
