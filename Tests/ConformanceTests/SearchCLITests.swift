import Foundation
import LanceArrow
import Testing

/// The seed's Search and Curate examples through the `lancelet search` process, against pylance's results on the
/// same dataset and index (`laion/` of make_vector.py; env `LANCELET_VECTOR_DIR`).
@Suite struct SearchCLITests {
    @Test func seedSearchAndCurateThroughTheCLI() async throws {
        guard let dir = VectorConformance.directory else {
            Issue.record("\(VectorConformance.envVar) is not set: run scripts/test, or scripts/conformance/make_vector.py --out DIR and set it")
            return
        }
        let base = dir.appendingPathComponent("laion").path
        let expected = try VectorConformance.load(base + "/expected.json")
        let uri = base + "/laion.lance"

        // Search: row 42's embedding, caption/url/similarity, limit 10.
        let out = try await Conformance.run(["search", uri, "--vector-from-row", "42", "--nprobes", "20", "--k", "10",
                                             "--columns", "caption,url,similarity", "--format", "jsonl"])
        #expect(out.status == 0, "lancelet search failed: \(out.stderr.prefix(1000))")
        let rows = try JSONValue.parseLines(String(decoding: out.stdout, as: UTF8.self))
        let search = try #require(expected["search"])
        let eURL = (search["url"]?.arrayValue ?? []).compactMap(\.stringValue)
        let eDist = (search["distances"]?.arrayValue ?? []).map { VectorConformance.number($0) ?? .nan }
        #expect(rows.count == 10 && eURL.count == 10)
        #expect(rows.map { $0["url"]?.stringValue ?? "" } == eURL
                || Set(rows.map { $0["url"]?.stringValue ?? "" }) == Set(eURL))
        let dist = rows.map { VectorConformance.number($0["_distance"]) ?? .nan }
        #expect(zip(dist, eDist).allSatisfy { abs($0 - $1) <= 1e-3 * max(1, abs($1)) }, "distances \(dist) vs \(eDist)")
        for r in rows {
            #expect(r["caption"]?.stringValue != nil && VectorConformance.number(r["similarity"]) != nil)
        }

        // Curate: prefilter, limit 500.
        let filter = try #require(expected["curate_filter"]?.stringValue)
        let cur = try await Conformance.run(["search", uri, "--vector-from-row", "42", "--nprobes", "20", "--k", "500",
                                             "--where", filter, "--columns", "key,url,caption,similarity",
                                             "--format", "jsonl"])
        #expect(cur.status == 0, "lancelet search --where failed: \(cur.stderr.prefix(1000))")
        let crows = try JSONValue.parseLines(String(decoding: cur.stdout, as: UTF8.self))
        let c = try #require(expected["curate"])
        let eKeys = (c["key"]?.arrayValue ?? []).map { Int64(VectorConformance.number($0) ?? -1) }
        let eCDist = (c["distances"]?.arrayValue ?? []).map { VectorConformance.number($0) ?? .nan }
        let keys = crows.map { Int64(VectorConformance.number($0["key"]) ?? -1) }
        let cd = crows.map { Float(VectorConformance.number($0["_distance"]) ?? .nan) }
        if let problem = VectorConformance.compare(expectedIds: eKeys, expectedDistances: eCDist, ids: keys,
                                                   distances: cd, tolerance: 1e-3) {
            Issue.record("curate via CLI: \(problem)")
        }
    }
}
