import ArgumentParser
import Foundation
import LanceBench

/// `lancelet bench`: the standard LAION workload on a `laion_synth.py` data directory, reported with
/// the keys and units of `pylance_workload.py`.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run the standard workload (W1b…W13) on a laion_synth.py data directory.",
        discussion: "Items Lancelet does not implement yet are reported as null. Release builds only.")

    @Option(help: "The --out directory of ../shared/bench/laion_synth.py (holds laion.lance and workload_inputs.json).")
    var data: String

    @Option(help: "Comma-separated items to run, e.g. W3,W5 (default: all).")
    var only: String?

    @Option(help: "Repetitions of short measurements.")
    var reps: Int = 3

    @Option(help: "Where to write the JSON result.")
    var out: String

    func run() async throws {
        #if DEBUG
        throw ValidationError("lancelet bench refuses a debug build: use `swift build -c release` / `swift run -c release lancelet bench …`")
        #else
        let runner = BenchRunner(
            dataDir: data, reps: reps,
            only: only.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) },
            selfExecutable: ProcessInfo.processInfo.arguments[0].hasPrefix("/")
                ? ProcessInfo.processInfo.arguments[0]
                : FileManager.default.currentDirectoryPath + "/" + ProcessInfo.processInfo.arguments[0],
            log: { line in FileHandle.standardError.write(Data((line + "\n").utf8)) })
        let result = try await runner.run()
        let json = BenchJSON.object(result).render()
        try Data((json + "\n").utf8).write(to: URL(fileURLWithPath: out))
        print(json)
        #endif
    }
}

/// The fresh process of W2: opens a dataset and counts its rows, printing the times as JSON.
struct BenchChildOpenCount: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench-child-open-count", shouldDisplay: false)

    @Argument var uri: String

    func run() async throws {
        print(try await BenchRunner.childOpenCount(uri: uri))
    }
}
