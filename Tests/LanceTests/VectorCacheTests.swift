import Foundation
@testable import Lance
import LanceArrow
import LanceCore
import LanceFile
import LanceKernels
import Testing

/// The vector cache of exact search: what it admits, that it holds the file's bytes, that a search answers the
/// same from it as from the files, and that it keeps to its budget.
@Suite struct VectorCacheTests {
    /// 256-byte vectors: 2.1+ files store them full-zip (read straight from the file), 2.0 files are decoded.
    static let dim = 64

    /// 3,000 rows in three files of 1,000 (one cache unit each), rows 5, 1500 and 2999 deleted.
    static func dataset(_ version: FileVersion) async throws -> (Dataset, [Float]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lancelet-vcache-\(UUID().uuidString)").path
        let v = query(3000, seed: 11)
        let schema = Schema([Field("id", .int64, nullable: false),
                             Field("vec", .fixedSizeList(Field("item", .float32), dim))])
        let b = try RecordBatch(schema: schema, columns: [
            .primitive(.int64, values: (0 ..< 3000).map(Int64.init)),
            .fixedSizeList(.primitive(.float32, values: v), size: dim),
        ])
        let ds = try await Dataset.create(at: dir, schema: b.schema, batches: [b],
                                          options: WriteOptions(dataStorageVersion: version, maxRowsPerFile: 1000))
        return (try await ds.delete(offsets: [5, 1500, 2999]), v)
    }

    /// `n` vectors of `dim` (clustered, deterministic).
    static func query(_ n: Int, seed: UInt64) -> [Float] {
        VectorSearchTests.vectors(n * dim / VectorSearchTests.dim, seed: seed)
    }

    static func search(_ ds: Dataset, _ q: [Float], _ metric: DistanceMetric, cache: VectorCache) async throws -> [Neighbor] {
        try await ds.exactSearch(column: try ds.vectorColumn("vec"), query: q, metric: metric, k: 25,
                                 mask: try await ds.liveRowMask(), fragments: ds.fragments, cache: cache)
    }

    /// The held units' bytes, fragment by fragment, as floats.
    static func held(_ ds: Dataset, cache: VectorCache) throws -> [UInt64: [Float]] {
        var out: [UInt64: [Float]] = [:]
        for f in ds.fragments {
            let file = ds.store.root + "/" + f.files(holding: try ds.vectorColumn("vec").field)[0].objectPath
            let key = VectorCache.Key(file: file, field: try ds.vectorColumn("vec").field.id, first: 0, count: f.physicalRows)
            if let e = cache.lookup(key) {
                out[f.id] = Array(UnsafeRawBufferPointer(e.bytes).bindMemory(to: Float.self))
            }
        }
        return out
    }

    @Test(arguments: [FileVersion.v2_0, .v2_1, .v2_2])
    func admittedOnSecondReadAndAnswersAlike(version: FileVersion) async throws {
        let (ds, v) = try await Self.dataset(version)
        // 2.1+ vectors are read straight from the file, 2.0 ones decoded: both paths fill the cache.
        var reader = FragmentReader(dataset: ds, fragment: ds.fragments[0])
        let direct = try await reader.fixedWidthRanges(try ds.vectorColumn("vec").field, rows: 0 ..< 1000) != nil
        #expect(direct == (version != .v2_0))
        let cache = VectorCache(budgetBytes: 1 << 30)
        let q = Self.query(1, seed: 3)
        var scored: [(Float, Int)] = []
        for i in 0 ..< 3000 where ![5, 1500, 2999].contains(i) {
            let row = Array(v[(i * Self.dim) ..< ((i + 1) * Self.dim)])
            scored.append((DistanceKernels.referenceL2(q, row), i))
        }
        scored.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        let expected = scored.prefix(25).map(\.1)
        func rows(_ n: [Neighbor]) -> [Int] { n.map { Int($0.id >> 32) * 1000 + Int($0.id & 0xFFFF_FFFF) } }

        let first = try await Self.search(ds, q, .l2, cache: cache)
        #expect(cache.unitCount == 0, "one search admits nothing")
        let second = try await Self.search(ds, q, .l2, cache: cache)
        #expect(cache.unitCount == 3)
        #expect(cache.usedBytes == 3000 * Self.dim * 4)
        // The held bytes are the file's vectors, row for row.
        let held = try Self.held(ds, cache: cache)
        for f in 0 ..< 3 {
            let rows: ArraySlice<Float> = v[(f * 1000 * Self.dim) ..< ((f + 1) * 1000 * Self.dim)]
            #expect(held[UInt64(f)] == Array(rows), "fragment \(f)")
        }
        let third = try await Self.search(ds, q, .l2, cache: cache)
        #expect(rows(first) == expected)
        #expect(second == first)
        #expect(third == first)
        for metric in [DistanceMetric.dot, .cosine] {
            let cached = try await Self.search(ds, q, metric, cache: cache)
            let plain = try await Self.search(ds, q, metric, cache: VectorCache(budgetBytes: 0))
            #expect(cached == plain, "\(metric)")
        }
        // Held units are what the search reads: plant the query at row 7 of fragment 1's unit.
        let key = VectorCache.Key(file: ds.store.root + "/" + ds.fragments[1].files[0].objectPath,
                                  field: try ds.vectorColumn("vec").field.id, first: 0, count: 1000)
        let unit = try #require(cache.lookup(key))
        q.withUnsafeBytes { unit.bytes.baseAddress!.advanced(by: 7 * Self.dim * 4).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let planted = try await Self.search(ds, q, .l2, cache: cache)
        #expect(planted.first == Neighbor(distance: 0, id: 1 << 32 | 7))
        cache.clear()
        #expect(cache.unitCount == 0 && cache.usedBytes == 0)
        #expect(try await Self.search(ds, q, .l2, cache: cache) == first)
    }

    @Test func keepsToItsBudget() async throws {
        let (ds, _) = try await Self.dataset(.v2_1)
        let unit = 1000 * Self.dim * 4
        let cache = VectorCache(budgetBytes: 2 * unit + unit / 2)
        let q = Self.query(1, seed: 5)
        let plain = try await Self.search(ds, q, .l2, cache: VectorCache(budgetBytes: 0))
        for _ in 0 ..< 4 {
            #expect(try await Self.search(ds, q, .l2, cache: cache) == plain)
        }
        // Two of the three units fit; nothing is evicted to make room for the third.
        #expect(cache.unitCount == 2)
        #expect(cache.usedBytes == 2 * unit)
        cache.setBudget(unit)
        #expect(cache.unitCount == 0, "a budget below what is held clears it")
        for _ in 0 ..< 2 { _ = try await Self.search(ds, q, .l2, cache: cache) }
        #expect(cache.unitCount == 1)
        #expect(try await Self.search(ds, q, .l2, cache: cache) == plain)
    }

    @Test func concurrentSearchesFillOnce() async throws {
        let (ds, _) = try await Self.dataset(.v2_2)
        let cache = VectorCache(budgetBytes: 1 << 30)
        let q = Self.query(1, seed: 9)
        let plain = try await Self.search(ds, q, .l2, cache: VectorCache(budgetBytes: 0))
        _ = try await Self.search(ds, q, .l2, cache: cache)
        let results = try await withThrowingTaskGroup(of: [Neighbor].self) { group in
            for _ in 0 ..< 6 { group.addTask { try await Self.search(ds, q, .l2, cache: cache) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 == plain })
        #expect(cache.unitCount == 3)
        #expect(cache.usedBytes == 3 * 1000 * Self.dim * 4, "each unit is filled by one search only")
    }
}
