import Foundation
import Lance
import LanceArrow
import LanceCore
import Testing

/// Vector search against pylance 14: the same queries over the same pylance-built IVF_PQ / IVF_FLAT indexes (and
/// exact search) must return the same rows and distances. Data: `scripts/conformance/make_vector.py --out DIR`,
/// then `LANCELET_VECTOR_DIR=DIR swift test --filter VectorConformance` (scripts/test does both).
enum VectorConformance {
    static let envVar = "LANCELET_VECTOR_DIR"
    static let missing = "<missing: run scripts/test or make_vector.py and set \(envVar)>"

    static var directory: URL? {
        guard let d = ProcessInfo.processInfo.environment[envVar], !d.isEmpty else { return nil }
        return URL(fileURLWithPath: d, isDirectory: true)
    }

    static func cases() -> [String] {
        guard let dir = directory else { return [missing] }
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: dir.path)) ?? []).filter {
            $0 != "laion" && fm.fileExists(atPath: dir.appendingPathComponent($0 + "/expected.json").path)
        }.sorted()
        return names.isEmpty ? [missing] : names
    }

    static func load(_ path: String) throws -> JSONValue {
        try JSONValue.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    static func number(_ v: JSONValue?) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .uint(let u): return Double(u)
        case .double(let d): return d
        default: return nil
        }
    }

    /// Same distances (relative tolerance) position by position, and the same ids except where ties at the k-th
    /// distance make the choice arbitrary.
    static func compare(expectedIds: [Int64], expectedDistances: [Double], ids: [Int64], distances: [Float],
                        tolerance: Double = 2e-4) -> String? {
        guard ids.count == expectedIds.count else {
            return "got \(ids.count) rows \(ids.prefix(12)), expected \(expectedIds.count) \(expectedIds.prefix(12))"
        }
        for (i, (d, e)) in zip(distances, expectedDistances).enumerated()
            where abs(Double(d) - e) > tolerance * max(1, abs(e)) {
            return "row \(i): distance \(d), expected \(e) (ids \(ids.prefix(12)) vs \(expectedIds.prefix(12)))"
        }
        guard let last = expectedDistances.last else { return nil }
        let boundary = { (d: Double) in abs(d - last) <= tolerance * max(1, abs(last)) }
        let a = Set(zip(expectedIds, expectedDistances).filter { !boundary($0.1) }.map(\.0))
        let b = Set(zip(ids, distances).filter { !boundary(Double($0.1)) }.map(\.0))
        if a != b { return "ids differ: got \(ids), expected \(expectedIds)" }
        return nil
    }
}

@Suite struct VectorConformanceTests {
    @Test(arguments: VectorConformance.cases())
    func searchMatchesPylance(caseName: String) async throws {
        guard let dir = VectorConformance.directory, caseName != VectorConformance.missing else {
            Issue.record("\(VectorConformance.envVar) is not set: run scripts/test, or scripts/conformance/make_vector.py --out DIR and set it")
            return
        }
        let base = dir.appendingPathComponent(caseName).path
        let expected = try VectorConformance.load(base + "/expected.json")
        let ds = try await Dataset.open(base + "/data.lance")
        let queries = try #require(expected["queries"]?.arrayValue).map { q in
            (q.arrayValue ?? []).map { Float(VectorConformance.number($0) ?? .nan) }
        }
        let results = try #require(expected["results"]?.arrayValue)
        #expect(results.count >= 30)
        for r in results {
            let qi = Int(VectorConformance.number(r["query"]) ?? 0)
            let p = try #require(r["params"])
            var query = ds.search(queries[qi], column: "vec").select(["id"]).withRowId()
                .limit(Int(VectorConformance.number(p["k"]) ?? 10))
            if p["exact"]?.boolValue == true { query = query.bypassVectorIndex() }
            if let n = VectorConformance.number(p["nprobes"]) { query = query.nprobes(Int(n)) }
            if let f = VectorConformance.number(p["refine_factor"]) { query = query.refineFactor(Int(f)) }
            if let w = p["where"]?.stringValue { query = query.where(w, prefilter: p["postfilter"]?.boolValue != true) }
            let (batch, plan) = try await query.execute()
            // Every approximate query goes through the index (also with stable row ids).
            if p["exact"]?.boolValue != true { #expect(plan.usedIndex != nil, "\(caseName): the index was not used") }
            #expect(batch.schema.fields.map(\.name) == ["id", "_distance", "_rowid"])
            let ids = (0 ..< batch.count).map { batch.column("id")!.value($0, as: Int64.self) }
            let dist = (0 ..< batch.count).map { batch.column("_distance")!.value($0, as: Float.self) }
            let eIds = (r["ids"]?.arrayValue ?? []).map { Int64(VectorConformance.number($0) ?? -1) }
            let eDist = (r["distances"]?.arrayValue ?? []).map { VectorConformance.number($0) ?? .nan }
            if let problem = VectorConformance.compare(expectedIds: eIds, expectedDistances: eDist, ids: ids, distances: dist) {
                Issue.record("\(caseName) query \(qi) \(p.serialized()): \(problem)")
            }
            // Deleted rows (id % 97 == 0 in the cases with a tail) never appear.
            if caseName.hasPrefix("pq_") || caseName.hasPrefix("flat_") || caseName.hasPrefix("stable_") {
                #expect(!ids.contains { $0 % 97 == 0 && $0 != 0 } || ids.isEmpty)
            }
        }
    }

    @Test func seedSearchAndCurateMatchPylance() async throws {
        guard let dir = VectorConformance.directory else {
            Issue.record("\(VectorConformance.envVar) is not set: run scripts/test, or scripts/conformance/make_vector.py --out DIR and set it")
            return
        }
        let base = dir.appendingPathComponent("laion").path
        let expected = try VectorConformance.load(base + "/expected.json")
        let ds = try await Dataset.open(base + "/laion.lance")
        let row = try await ds.take(offsets: [42], columns: ["img_emb"])
        let emb = try #require(row.column("img_emb")).children[0]
        let q = (0 ..< 768).map { emb.value($0, as: Float.self) }

        struct Hit: Decodable { let caption: String; let url: String; let similarity: Double; let _distance: Float }
        let hits = try await ds.search(q).nprobes(20).select(["caption", "url", "similarity"]).limit(10).decode(Hit.self)
        let search = try #require(expected["search"])
        #expect(hits.map(\.caption) == (search["caption"]?.arrayValue ?? []).compactMap(\.stringValue)
                || hits.map(\._distance).first == 0)
        let eDist = (search["distances"]?.arrayValue ?? []).map { VectorConformance.number($0) ?? .nan }
        #expect(zip(hits.map(\._distance), eDist).allSatisfy { abs(Double($0) - $1) <= 1e-3 * max(1, abs($1)) })
        #expect(Set(hits.map(\.url)) == Set((search["url"]?.arrayValue ?? []).compactMap(\.stringValue)))

        let filter = try #require(expected["curate_filter"]?.stringValue)
        let curate = try await ds.search(q).nprobes(20).where(filter, prefilter: true)
            .select(["key", "url", "caption", "similarity"]).limit(500).toBatch()
        let c = try #require(expected["curate"])
        let eKeys = (c["key"]?.arrayValue ?? []).map { Int64(VectorConformance.number($0) ?? -1) }
        let eCDist = (c["distances"]?.arrayValue ?? []).map { VectorConformance.number($0) ?? .nan }
        let keys = (0 ..< curate.count).map { curate.column("key")!.value($0, as: Int64.self) }
        let cd = (0 ..< curate.count).map { curate.column("_distance")!.value($0, as: Float.self) }
        if let problem = VectorConformance.compare(expectedIds: eKeys, expectedDistances: eCDist, ids: keys, distances: cd,
                                                   tolerance: 1e-3) {
            Issue.record("curate: \(problem)")
        }
    }
}
