import Foundation
import LanceArrow
import LanceCore
import LanceIO
import Testing
@testable import LanceFile

/// The take paths that skip work (full-zip string/binary values written straight into one Arrow
/// buffer; mini-block FSST strings expanded only for the taken rows; neighbouring chunks read at
/// once) must give what the general decoding and a full read give.
@Suite struct TakeFastPathTests {
    static let files = ["plain", "prim", "nested", "pages", "opts", "bloblayout", "longlists", "small", "allnull", "blobs"]

    /// Row selections: scattered, every second of a run, the first and last rows.
    static func selections(_ n: Int) -> [[Int]] {
        guard n > 0 else { return [] }
        var scattered: [Int] = []
        var x = 7
        for _ in 0 ..< min(n, 40) { x = (x * 31 + 11) % n; scattered.append(x) }
        return [Array(Set(scattered)).sorted(), Array(stride(from: n / 3, to: min(n, n / 3 + 120), by: 2)),
                [0, n - 1].filter { $0 < n }.uniqued()]
    }

    static func render(_ a: ArrayData) -> [String] { (0 ..< a.count).map { v21Render(a, $0) } }

    @Test(arguments: ["2.1", "2.2"])
    func takeMatchesGeneralPathAndFullRead(version: String) async throws {
        for name in Self.files {
            let file = try await V21Fixtures.open("\(name)_\(version)")
            let map = try file.defaultColumnMap()
            let n = Int(file.rowCount)
            for field in try file.schema().fields {
                let all = Self.render(try await file.read(field, columns: map, rows: 0 ..< n))
                for rows in Self.selections(n) {
                    let fast = Self.render(try await file.take(field, columns: map, rows: rows))
                    let plain = Self.render(try await V21Decoding.take(file, field: field, columns: map, rows: rows, fastPaths: false))
                    #expect(fast == plain, "\(name)_\(version).\(field.name) rows \(rows.prefix(5))…")
                    #expect(fast == rows.map { all[$0] }, "\(name)_\(version).\(field.name) rows \(rows.prefix(5))…")
                }
            }
        }
    }

    /// The full-zip fast path on its own: nulls, empty values, several pages; serial and parallel writes.
    @Test(arguments: ["2.1", "2.2"], [0, 1 << 40])
    func fullZipFastPath(version: String, threshold: Int) async throws {
        var covered = 0
        for name in Self.files {
            let file = try await V21Fixtures.open("\(name)_\(version)")
            let map = try file.defaultColumnMap()
            let n = Int(file.rowCount)
            for field in try file.schema().fields {
                guard let col = map[field.id] else { continue }
                let pages = try V21Pages.pages(file, column: col)
                for rows in Self.selections(n) {
                    var jobs: [(page: V21Page, rows: [Int])] = []
                    for p in pages {
                        let sel = rows.filter { $0 >= p.firstRow && $0 < p.firstRow + p.rows }.map { $0 - p.firstRow }
                        if !sel.isEmpty { jobs.append((p, sel)) }
                    }
                    guard let fast = try await FullZipTake.take(file, field: field, jobs: jobs, count: rows.count,
                                                                parallelThreshold: threshold) else { continue }
                    covered += 1
                    let plain = try await V21Decoding.take(file, field: field, columns: map, rows: rows, fastPaths: false)
                    #expect(Self.render(fast) == Self.render(plain), "\(name)_\(version).\(field.name)")
                }
            }
        }
        #expect(covered >= 8, "only \(covered) full-zip takes exercised the fast path")
    }

    /// Damaged full-zip pages: every mutation gives an error or the general path's answer, never a crash.
    @Test(arguments: ["2.1", "2.2"])
    func damagedFullZipPages(version: String) async throws {
        var mutated = 0
        for base in Self.files { mutated += try await mutate("\(base)_\(version)") }
        #expect(mutated >= 100)
    }

    /// Mutates the full-zip string/binary pages of one file; returns the number of mutations tried.
    func mutate(_ name: String) async throws -> Int {
        let dir = try V21Fixtures.directory.get()
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/\(name).lance")))
        let clean = try await V21Fixtures.open(name)
        let map = try clean.defaultColumnMap()
        let n = Int(clean.rowCount)
        // Byte ranges of the buffers of full-zip string/binary pages.
        var targets: [(field: LanceField, lo: Int, hi: Int)] = []
        for field in try clean.schema().fields where [.binary, .largeBinary, .utf8, .largeUtf8].contains(field.type) {
            guard let col = map[field.id] else { continue }
            for p in try V21Pages.pages(clean, column: col) {
                guard case .fullZipLayout? = p.layout.layout else { continue }
                for (o, s) in zip(p.offsets, p.sizes) where s > 0 { targets.append((field, Int(o), Int(o + s))) }
            }
        }
        if targets.isEmpty { return 0 }
        var rng: UInt64 = 0x1234_5678
        func next() -> Int { rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return Int(rng >> 33) }
        var errors = 0, answers = 0
        for m in 0 ..< 100 {
            let t = targets[m % targets.count]
            var bytes = original
            let at = t.lo + next() % (t.hi - t.lo)
            switch m % 3 {
            case 0: bytes[at] ^= UInt8(1 << (next() % 8))
            case 1: for k in at ..< min(t.hi, at + 8) { bytes[k] = 0xFF }
            default: bytes[at] = UInt8(truncatingIfNeeded: next())
            }
            let store = MemoryStore()
            try await store.put("f.lance", bytes)
            let file = try await LanceFileReader.open(try await store.open("f.lance"))
            let rows = Self.selections(n)[m % 2]
            let fast: [String]
            do {
                fast = Self.render(try await file.take(t.field, columns: map, rows: rows))
            } catch {
                errors += 1
                continue
            }
            answers += 1
            let plain = Self.render(try await V21Decoding.take(file, field: t.field, columns: map, rows: rows, fastPaths: false))
            #expect(fast == plain, "mutation \(m) at byte \(at)")
        }
        #expect(errors + answers == 100)
        return errors + answers
    }
}

extension Array where Element: Hashable {
    fileprivate func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
