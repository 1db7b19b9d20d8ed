#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Lance
import LanceArrow
import LanceCore

/// Buffered writes to standard output (one `write(2)` per ~1 MiB).
struct StdoutWriter {
    var buffer: [UInt8] = []
    let threshold = 1 << 20

    init() { buffer.reserveCapacity(threshold + 4096) }

    mutating func write(_ s: String) { buffer.append(contentsOf: s.utf8) }

    mutating func flushIfNeeded() throws { if buffer.count >= threshold { try flush() } }

    mutating func flush() throws {
        var done = 0
        try buffer.withUnsafeBytes { raw in
            while done < raw.count {
                let r = Glibc_write(1, raw.baseAddress! + done, raw.count - done)
                if r < 0 {
                    if errno == EINTR { continue }
                    throw LanceError(.io, "cannot write to standard output: \(String(cString: strerror(errno)))")
                }
                done += r
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

@inline(__always)
private func Glibc_write(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }

func printError(_ message: String) {
    let line = "error: " + message + "\n"
    var bytes = Array(line.utf8)
    _ = bytes.withUnsafeMutableBytes { Glibc_write(2, $0.baseAddress!, $0.count) }
}

/// Runs a command body, turning errors into the documented exit codes (1 for runtime errors).
func runReportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let e as ExitCode {
        throw e
    } catch let e as LanceError {
        printError(e.description)
        throw ExitCode(1)
    } catch {
        printError("\(error)")
        throw ExitCode(1)
    }
}

/// Output formats of `scan` and `take`.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case jsonl, table, csv
    /// An Arrow IPC stream (binary) on standard output.
    case arrow
}

/// Writes record batches in one of the output formats.
struct BatchPrinter {
    let format: OutputFormat
    var out = StdoutWriter()
    var headerDone = false
    var widths: [Int] = []
    let maxCell = 40
    var ipc: ArrowIPCStreamWriter?

    init(format: OutputFormat) { self.format = format }

    mutating func write(_ batch: RecordBatch) throws {
        switch format {
        case .jsonl: try writeJSONL(batch)
        case .csv: try writeCSV(batch)
        case .table: try writeTable(batch)
        case .arrow:
            if ipc == nil {
                ipc = ArrowIPCStreamWriter(schema: batch.schema)
                out.buffer += try ipc!.begin()
            }
            out.buffer += try ipc!.write(batch)
        }
        try out.flushIfNeeded()
    }

    mutating func finish() throws {
        if let ipc { out.buffer += ipc.end() }
        try out.flush()
    }

    mutating func writeJSONL(_ batch: RecordBatch) throws {
        if batch.columns.isEmpty {
            for _ in 0 ..< batch.count { out.buffer.append(contentsOf: [0x7B, 0x7D, 0x0A]) }
            return
        }
        // Render in slices so that the buffer stays near its flush threshold.
        let step = 1024
        var start = 0
        while start < batch.count {
            let n = Swift.min(step, batch.count - start)
            try FastJSON.writeLines(batch.slice(start, n), into: &out.buffer)
            try out.flushIfNeeded()
            start += n
        }
    }

    static func csvCell(_ s: String?) -> String {
        guard let s else { return "" }
        if s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
            return "\"" + s.replacingAll("\"", with: "\"\"") + "\""
        }
        return s
    }

    mutating func writeCSV(_ batch: RecordBatch) throws {
        if !headerDone {
            headerDone = true
            out.write(batch.schema.fields.map { BatchPrinter.csvCell($0.name) }.joined(separator: ",") + "\r\n")
        }
        for i in 0 ..< batch.count {
            let cells = try batch.columns.map { BatchPrinter.csvCell(try ValueText.plainText($0, i, binaryAsSize: false)) }
            out.write(cells.joined(separator: ",") + "\r\n")
        }
    }

    func truncate(_ s: String, _ w: Int) -> String {
        let flat = s.map { $0 == "\n" || $0 == "\r" || $0 == "\t" ? " " : String($0) }.joined()
        if flat.count <= w { return flat + String(repeating: " ", count: w - flat.count) }
        return String(flat.prefix(max(1, w - 1))) + "…"
    }

    mutating func writeTable(_ batch: RecordBatch) throws {
        let names = batch.schema.fields.map(\.name)
        let cells: [[String]] = try (0 ..< batch.count).map { i in
            try batch.columns.map { try ValueText.plainText($0, i, binaryAsSize: true) ?? "null" }
        }
        if !headerDone {
            headerDone = true
            widths = names.enumerated().map { k, n in
                min(maxCell, cells.reduce(n.count) { max($0, $1[k].count) })
            }
            out.write(names.enumerated().map { truncate($1, widths[$0]) }.joined(separator: " | ") + "\n")
            out.write(widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-") + "\n")
        }
        for row in cells {
            out.write(row.enumerated().map { truncate($1, widths[$0]) }.joined(separator: " | ") + "\n")
        }
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

/// Options shared by commands that open a dataset at a version.
struct DatasetOptions: ParsableArguments {
    @Argument(help: "Dataset path or file:// URI.")
    var uri: String

    @Option(name: .long, help: "Open this version number.")
    var version: UInt64?

    @Option(name: .long, help: "Open the version this tag points to.")
    var tag: String?

    func validate() throws {
        if version != nil && tag != nil { throw ValidationError("--version and --tag cannot be used together") }
    }

    var versionSpec: VersionSpec? {
        if let version { return .number(version) }
        if let tag { return .tag(tag) }
        return nil
    }

    func open() async throws -> Dataset { try await Dataset.open(uri, version: versionSpec) }
}

/// Parses a comma-separated list of column names (`""` = no columns).
func parseColumns(_ s: String?) -> [String]? {
    guard let s else { return nil }
    if s.isEmpty { return [] }
    return s.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
