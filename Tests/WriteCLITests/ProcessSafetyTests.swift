#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Lance
import LanceArrow
import LanceCore
import Testing

/// Commits from several OS processes, and writers killed with SIGKILL at random moments.
@Suite struct ProcessSafetyTests {
    /// Starts `lancelet args…` and returns when it exits, with its status (or the signal, negated).
    static func spawn(_ args: [String], killAfter: Double? = nil) async throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try CLI.executable())
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        return try await withCheckedThrowingContinuation { cont in
            p.terminationHandler = { q in
                cont.resume(returning: q.terminationReason == .uncaughtSignal ? -q.terminationStatus : q.terminationStatus)
            }
            do { try p.run() } catch {
                p.terminationHandler = nil
                cont.resume(throwing: error)
                return
            }
            if let killAfter {
                let pid = p.processIdentifier
                // A scheduled kill at a random moment of the writer's life (not a wait for a condition).
                DispatchQueue.global().asyncAfter(deadline: .now() + killAfter) { _ = kill(pid, SIGKILL) }
            }
        }
    }

    static func jsonl(_ rows: [(Int64, Int64)]) -> Data {
        Data(rows.map { "{\"w\":\($0.0),\"i\":\($0.1)}\n" }.joined().utf8)
    }

    /// The `w` values of a version, sorted.
    static func values(_ ds: Dataset) async throws -> [Int64] {
        var out: [Int64] = []
        for try await b in ds.scan(columns: ["w"]) {
            for i in 0 ..< b.count { out.append(try b.columns[0].jsonValue(at: i).int64Value ?? -999) }
        }
        return out.sorted()
    }

    @Test func fourProcessesAppendTwentyFiveTimesEach() async throws {
        let dir = try CLI.tempDir("concurrent")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let uri = dir + "/ds"
        try CLI.writeIntsArrow(dir + "/seed.arrow", [("w", [-1]), ("i", [-1])])
        try CLI.lancelet(["create", uri, "--from", dir + "/seed.arrow"])
        for w in 0 ..< 4 {
            for i in 0 ..< 25 {
                try ProcessSafetyTests.jsonl([(Int64(w), Int64(i)), (Int64(w), Int64(100 + i))])
                    .write(to: URL(fileURLWithPath: "\(dir)/in-\(w)-\(i).jsonl"))
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0 ..< 4 {
                group.addTask {
                    for i in 0 ..< 25 {
                        let status = try await ProcessSafetyTests.spawn(["append", uri, "--from", "\(dir)/in-\(w)-\(i).jsonl"])
                        #expect(status == 0, "worker \(w) append \(i) exited \(status)")
                    }
                }
            }
            try await group.waitForAll()
        }
        let ds = try await Dataset.open(uri)
        #expect(ds.version == 101)
        #expect(try await ds.versions().map(\.version) == Array(1 ... 101))
        var seen: [String] = []
        for try await b in ds.scan(columns: ["w", "i"]) {
            for r in 0 ..< b.count {
                seen.append("\(try b.columns[0].jsonValue(at: r).int64Value!):\(try b.columns[1].jsonValue(at: r).int64Value!)")
            }
        }
        var want = ["-1:-1"]
        for w in 0 ..< 4 { for i in 0 ..< 25 { want += ["\(w):\(i)", "\(w):\(100 + i)"] } }
        #expect(seen.sorted() == want.sorted())
        // Each version adds exactly one append's two rows.
        for v in stride(from: 1, through: 101, by: 20) {
            #expect(try await ds.checkout(.number(UInt64(v))).countRows() == 1 + 2 * (v - 1))
        }
        // pylance agrees.
        let out = try CLI.python(["-c", "import lance,sys; d=lance.dataset(sys.argv[1]); print(d.version, d.count_rows(), len(d.versions()))", uri])
        #expect(out.text.trimmingCharacters(in: .whitespacesAndNewlines) == "101 201 101")
    }

    @Test func writersKilledAtRandomMomentsNeverBreakTheDataset() async throws {
        let trials = Int(ProcessInfo.processInfo.environment["LANCELET_KILL_TRIALS"] ?? "") ?? 200
        let dir = try CLI.tempDir("kill")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let uri = dir + "/ds"
        try CLI.writeIntsArrow(dir + "/seed.arrow", [("w", [-1, -1]), ("i", [0, 1])])
        try CLI.lancelet(["create", uri, "--from", dir + "/seed.arrow", "--data-storage-version", "2.1"])
        // Kill moments are drawn over 1.3× the recent life of writers that were not killed (the median
        // of the last 15), so that most trials die somewhere inside the write whatever the machine's
        // speed and load.
        try CLI.writeIntsArrow("\(dir)/in.arrow", [("w", [-1]), ("i", [2])])
        let clock = ContinuousClock()
        func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }
        let started = clock.now
        let firstStatus = try await ProcessSafetyTests.spawn(["append", uri, "--from", "\(dir)/in.arrow"])
        var lives = [ms(clock.now - started)]
        #expect(firstStatus == 0)
        var rng = SplitMix64(seed: 0x5EED_CAFE)
        // The model: the sorted `w` values of every committed version.
        var model: [UInt64: [Int64]] = [1: [-1, -1], 2: [-1, -1, -1]]
        var latest: UInt64 = 2
        var killed = 0, committed = 0
        for t in 0 ..< trials {
            let w = Int64(t)
            let op = rng.next() % 8
            let args: [String]
            var after: [Int64]
            if op < 5 {
                let n = Int(rng.next() % 3) + 1
                try CLI.writeIntsArrow("\(dir)/in.arrow", [("w", [Int64](repeating: w, count: n)), ("i", (0 ..< n).map(Int64.init))])
                args = ["append", uri, "--from", "\(dir)/in.arrow"]
                after = (model[latest]! + [Int64](repeating: w, count: n)).sorted()
            } else if op < 6 {
                try CLI.writeIntsArrow("\(dir)/in.arrow", [("w", [w, w]), ("i", [0, 1])])
                args = ["overwrite", uri, "--from", "\(dir)/in.arrow"]
                after = [w, w]
            } else {
                args = ["tags", op == 6 ? "create" : "update", uri, op == 6 ? "t\(t)" : "moving", "--version", "\(latest)"]
                after = model[latest]!
            }
            if op == 7, t < 8 { try? await Dataset.open(uri).createTag("moving", version: 1) }
            let lifeMs = max(5, lives.suffix(15).sorted()[lives.suffix(15).count / 2])
            let delay = Double(rng.next() % UInt64(lifeMs * 1.3)) / 1000
            let spawned = clock.now
            let status = try await ProcessSafetyTests.spawn(args, killAfter: delay)
            if status == -SIGKILL { killed += 1 } else if status == 0 { lives.append(ms(clock.now - spawned)) }

            // The dataset opens; versions are consecutive; at most one new version appeared.
            let ds = try await Dataset.open(uri)
            let versions = try await ds.versions().map(\.version)
            #expect(versions == Array(1 ... ds.version), "trial \(t): versions \(versions)")
            #expect(ds.version == latest || ds.version == latest + 1, "trial \(t)")
            if ds.version == latest + 1 {
                #expect(op < 6, "trial \(t): a tag operation made a version")
                model[ds.version] = after
                latest = ds.version
                committed += 1
            }
            // The latest version reads fully with exactly its rows; tags parse.
            #expect(try await ProcessSafetyTests.values(ds) == model[latest]!, "trial \(t)")
            _ = try await ds.tags()
            // Every earlier version still opens with its row count; every 25 trials, all are read fully.
            for v in 1 ... latest {
                let old = try await ds.checkout(.number(v))
                if t % 25 == 24 {
                    #expect(try await ProcessSafetyTests.values(old) == model[v]!, "trial \(t) version \(v)")
                } else {
                    #expect(try await old.countRows() == model[v]!.count, "trial \(t) version \(v)")
                }
            }
        }
        #expect(killed > trials / 5, "only \(killed) of \(trials) writers were killed (lives \(lives.suffix(15)) ms)")
        #expect(committed > trials / 20, "only \(committed) of \(trials) writers committed")
        // pylance agrees on every version's row count.
        let counts = try CLI.python(["-c", """
            import lance, sys, json
            d = lance.dataset(sys.argv[1])
            print(json.dumps([lance.dataset(sys.argv[1], version=v["version"]).count_rows() for v in d.versions()]))
            """, uri])
        let want = (1 ... latest).map { JSONValue.int(Int64(model[$0]!.count)) }
        #expect(try JSONValue.parse(counts.stdout) == .array(want))
    }
}
