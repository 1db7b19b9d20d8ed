import Foundation
import LanceCore

/// What a finished child process printed.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: [UInt8]
    public var stderr: String
    public var text: String { String(decoding: stdout, as: UTF8.self) }

    public init(status: Int32, stdout: [UInt8], stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Runs child processes for tests. Output is captured through files, never pipes, so a child that
/// writes a lot to both streams cannot deadlock against a parent reading one of them.
public enum Subprocess {
    /// Runs `executable arguments…` to completion (blocking the calling thread).
    public static func run(_ executable: String, _ arguments: [String]) throws -> ProcessOutput {
        let capture = try Capture()
        defer { capture.remove() }
        let p = capture.process(executable, arguments)
        try p.run()
        p.waitUntilExit()
        return capture.output(status: p.terminationStatus)
    }

    /// Runs `executable arguments…` without blocking a thread; a run longer than `timeout` seconds is
    /// terminated (and reports the termination status), so a hung child fails its test, not the run.
    public static func run(_ executable: String, _ arguments: [String], timeout: Double) async throws -> ProcessOutput {
        let capture = try Capture()
        defer { capture.remove() }
        let p = capture.process(executable, arguments)
        let status: Int32 = try await withCheckedThrowingContinuation { cont in
            p.terminationHandler = { cont.resume(returning: $0.terminationStatus) }
            do { try p.run() } catch {
                p.terminationHandler = nil
                cont.resume(throwing: error)
                return
            }
            let box = ProcessBox(p)
            Task.detached {
                try? await Task.sleep(for: .seconds(timeout))
                if box.process.isRunning { box.process.terminate() }
            }
        }
        return capture.output(status: status)
    }

    /// Runs the reference Python with `arguments` (a script path first, or `-c SOURCE`); throws with
    /// its standard error unless it exits 0.
    @discardableResult
    public static func python(_ arguments: [String]) throws -> ProcessOutput {
        let o = try run(TestEnvironment.python, arguments)
        guard o.status == 0 else {
            let shown = arguments.first == "-c" ? ["-c", "<script>"] + arguments.dropFirst(2) : arguments
            throw LanceError(.internal, "python \(shown.joined(separator: " ")) exited \(o.status): \(o.stderr.suffix(3000)) "
                             + "(tests need the project venv, which scripts/test creates, or LANCELET_PYTHON)")
        }
        return o
    }

    /// Runs a Python program given as source text; returns its standard output.
    public static func pythonScript(_ source: String, _ arguments: [String] = []) throws -> String {
        try python(["-c", source] + arguments).text
    }

    /// Scratch files receiving a child's two output streams.
    private struct Capture {
        let dir: URL
        let out: FileHandle
        let err: FileHandle

        init() throws {
            dir = try TestEnvironment.temporaryDirectory("proc")
            let fm = FileManager.default
            _ = fm.createFile(atPath: dir.appendingPathComponent("out").path, contents: nil)
            _ = fm.createFile(atPath: dir.appendingPathComponent("err").path, contents: nil)
            out = try FileHandle(forWritingTo: dir.appendingPathComponent("out"))
            err = try FileHandle(forWritingTo: dir.appendingPathComponent("err"))
        }

        func process(_ executable: String, _ arguments: [String]) -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = arguments
            p.standardOutput = out
            p.standardError = err
            p.standardInput = FileHandle.nullDevice
            return p
        }

        func output(status: Int32) -> ProcessOutput {
            try? out.close()
            try? err.close()
            let o = (try? Data(contentsOf: dir.appendingPathComponent("out"))).map { [UInt8]($0) } ?? []
            let e = (try? String(contentsOf: dir.appendingPathComponent("err"), encoding: .utf8)) ?? ""
            return ProcessOutput(status: status, stdout: o, stderr: e)
        }

        func remove() {
            try? out.close()
            try? err.close()
            try? FileManager.default.removeItem(at: dir)
        }
    }
}

/// Lets a watchdog task reach a process (`isRunning` and `terminate` are thread-safe).
final class ProcessBox: @unchecked Sendable {
    let process: Process
    init(_ p: Process) { process = p }
}
