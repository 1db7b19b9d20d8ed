import Foundation
import Lance
import LanceArrow
import LanceCore
import Testing

/// Runs every expression of scripts/conformance/filters.txt through Lancelet and compares the
/// matching rows with pylance's (scripts/conformance/make_filters.py writes the datasets and
/// pylance's answers). Set LANCELET_FILTER_DIR to that output directory; `scripts/test` does.
@Suite struct FilterConformanceTests {
    static let envVar = "LANCELET_FILTER_DIR"

    struct Case {
        var dataset: String
        var idColumn: String
        var filter: String
        var flags: [String]
        var ids: [Int64]?
        var error: String?
    }

    static func directory() -> URL? {
        guard let d = ProcessInfo.processInfo.environment[envVar], !d.isEmpty else { return nil }
        return URL(fileURLWithPath: d, isDirectory: true)
    }

    static func loadCases() throws -> [Case]? {
        guard let dir = directory() else {
            Issue.record("""
                \(envVar) is not set: run scripts/test, or `.venv/bin/python scripts/conformance/make_filters.py --out DIR` \
                and `\(envVar)=DIR swift test --filter FilterConformanceTests`.
                """)
            return nil
        }
        let data = try Data(contentsOf: dir.appendingPathComponent("expected.json"))
        guard let cases = try JSONValue.parse([UInt8](data))["cases"]?.arrayValue else {
            Issue.record("expected.json has no cases")
            return nil
        }
        return cases.map { c in
            Case(dataset: c["dataset"]?.stringValue ?? "", idColumn: c["id_column"]?.stringValue ?? "id",
                 filter: c["filter"]?.stringValue ?? "", flags: c["flags"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                 ids: c["ids"]?.arrayValue?.compactMap { $0.int64Value }, error: c["error"]?.stringValue)
        }
    }

    static func ids(_ batch: RecordBatch, _ column: String) -> [Int64] {
        guard let a = batch.column(column) else { return [] }
        return (0 ..< a.count).map { a.value($0, as: Int64.self) }
    }

    /// Every corpus expression: identical row sets, or both reject (or a listed deliberate difference).
    @Test func corpus() async throws {
        guard let cases = try Self.loadCases(), let dir = Self.directory() else { return }
        #expect(cases.count >= 150)
        var datasets: [String: Dataset] = [:]
        var agreed = 0
        for c in cases {
            if datasets[c.dataset] == nil {
                datasets[c.dataset] = try await Dataset.open(dir.appendingPathComponent(c.dataset).path)
            }
            let ds = datasets[c.dataset]!
            var got: [Int64]?
            var failure: String?
            do {
                got = Self.ids(try await ds.toBatch(columns: [c.idColumn], where: c.filter), c.idColumn)
            } catch {
                failure = "\(error)"
            }
            if c.flags.contains("reject") {
                if got != nil { Issue.record("`\(c.filter)` (a deliberate difference) must be rejected") }
                continue
            }
            if c.flags.contains("accept") {
                if let failure { Issue.record("`\(c.filter)` (a deliberate difference) must be accepted: \(failure)") }
                continue
            }
            if let want = c.ids {
                if let got, got == want { agreed += 1; continue }
                Issue.record("`\(c.filter)`: pylance \(want.count) rows \(want.prefix(20)), lancelet \(got.map { "\($0.count) rows \($0.prefix(20))" } ?? "error: \(failure!)")")
            } else if let got {
                Issue.record("`\(c.filter)`: pylance rejects it (\(c.error ?? "")) but lancelet returned \(got.count) rows")
            } else {
                agreed += 1
            }
        }
        #expect(agreed > 0)
    }

    /// The seed's filter with a double-quoted identifier gives pylance's rows for the backtick form.
    @Test func seedFilterWithDoubleQuotes() async throws {
        guard let cases = try Self.loadCases(), let dir = Self.directory() else { return }
        guard let want = cases.first(where: { $0.filter == "`NSFW` = 0 AND similarity > 0.3 AND width >= 512" })?.ids else {
            Issue.record("the corpus lacks the seed filter")
            return
        }
        let ds = try await Dataset.open(dir.appendingPathComponent("laion/laion.lance").path)
        let seed = #""NSFW" = 0 AND similarity > 0.3 AND width >= 512"#
        let got = Self.ids(try await ds.toBatch(columns: ["key"], where: seed), "key")
        #expect(got == want)
        #expect(try await ds.countRows(where: seed) == want.count)
        // Through the CLI: scan --where and count --where.
        let uri = dir.appendingPathComponent("laion/laion.lance").path
        let scan = try await Conformance.run(["scan", uri, "--where", seed, "--columns", "key"])
        #expect(scan.status == 0, "\(scan.stderr)")
        let lines = String(decoding: scan.stdout, as: UTF8.self).split(separator: "\n")
        let keys = lines.compactMap { try? JSONValue.parse(Array($0.utf8))["key"]?.int64Value }
        #expect(keys == want)
        let count = try await Conformance.run(["count", uri, "--where", seed, "--json"])
        #expect(count.status == 0, "\(count.stderr)")
        let obj = try JSONValue.parse(count.stdout)
        #expect(obj["count"]?.int64Value == Int64(want.count))
        let plain = try await Conformance.run(["count", uri, "--where", seed])
        #expect(String(decoding: plain.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "\(want.count)")
        let bad = try await Conformance.run(["count", uri, "--where", "widht > 5"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("did you mean `width`"))
    }
}
