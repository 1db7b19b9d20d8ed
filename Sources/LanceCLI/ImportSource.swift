#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import LanceArrow
import LanceCore

/// Formats `create --from` reads.
enum InputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case arrow, jsonl

    /// From the file name: `.jsonl`/`.ndjson`/`.json` → JSON lines, `.arrow`/`.arrows`/`.feather`/`.ipc` → Arrow IPC.
    static func guess(path: String) -> InputFormat? {
        let lower = path.lowercased()
        if [".jsonl", ".ndjson", ".json"].contains(where: lower.hasSuffix) { return .jsonl }
        if [".arrow", ".arrows", ".feather", ".ipc"].contains(where: lower.hasSuffix) { return .arrow }
        return nil
    }
}

import ArgumentParser

/// A readable input file (or standard input for `-`), read in chunks.
final class InputFile {
    let fd: Int32
    let path: String
    var bytesRead = 0
    /// Bytes read ahead to sniff the format, served before the file's next bytes.
    var unread: [UInt8] = []

    init(path: String) throws {
        self.path = path
        if path == "-" {
            fd = 0
        } else {
            fd = open(path, O_RDONLY)
            guard fd >= 0 else {
                throw LanceError(.notFound, "cannot open input: \(String(cString: strerror(errno)))", path: path)
            }
        }
    }

    deinit { if fd > 0 { _ = close(fd) } }

    /// Up to `n` bytes; fewer only at the end of the input.
    func read(_ n: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        if !unread.isEmpty {
            let k = min(n, unread.count)
            out += unread[0 ..< k]
            unread.removeFirst(k)
        }
        var chunk = [UInt8](repeating: 0, count: min(n - out.count, 1 << 22))
        while out.count < n {
            let want = min(n - out.count, chunk.count)
            let r = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, want) }
            if r < 0 {
                if errno == EINTR { continue }
                throw LanceError(.io, "cannot read input: \(String(cString: strerror(errno)))", path: path)
            }
            if r == 0 { break }
            bytesRead += r
            out += chunk[0 ..< r]
        }
        return out
    }

    /// The first byte that is not white space, left unread.
    func peekFirstNonSpace() throws -> UInt8? {
        while true {
            let b = try read(1)
            guard let c = b.first else { return nil }
            unread.append(c)
            if ![0x20, 0x09, 0x0A, 0x0D].contains(c) { return c }
            if unread.count > 4096 { return c }
        }
    }
}

/// Shows rows, MB and rate on standard error while importing — only when standard error is a terminal.
struct ImportProgress {
    let line = StatusLine.forStandardError(interval: 0.25)
    let start = Date()

    func update(rows: Int, bytes: Int, force: Bool = false) {
        line?.update(force: force) {
            let secs = max(Date().timeIntervalSince(start), 1e-6)
            let mb = Double(bytes) / 1e6
            return String(format: "%@ rows, %.1f MB read, %.0f rows/s, %.1f MB/s",
                          rows.formatted(), mb, Double(rows) / secs, mb / secs)
        }
    }

    func finish(rows: Int, bytes: Int) {
        update(rows: rows, bytes: bytes, force: true)
        line?.finish(keep: true)
    }
}

extension Int {
    func formatted() -> String {
        let s = String(self)
        var out = ""
        for (k, c) in s.reversed().enumerated() {
            if k > 0, k % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }
}

/// Record batches read from an Arrow IPC (file or stream) or JSON lines input, one batch at a time.
final class ImportReader {
    let input: InputFile
    private(set) var schema: Schema
    private var ipc: ArrowIPCIncrementalReader?
    private var jsonl: JSONLReader?
    var rows = 0
    var progress = ImportProgress()

    /// `schema` is required for JSON lines unless it can be inferred from the first `batchRows` lines.
    init(path: String, format: InputFormat?, schema: Schema?, batchRows: Int) throws {
        input = try InputFile(path: path)
        var fmt = format ?? InputFormat.guess(path: path)
        if fmt == nil { fmt = try input.peekFirstNonSpace() == UInt8(ascii: "{") ? .jsonl : .arrow }
        let inp = input
        switch fmt! {
        case .arrow:
            let r = try ArrowIPCIncrementalReader(source: { try inp.read($0) })
            self.schema = r.schema
            ipc = r
        case .jsonl:
            var j = JSONLReader(input: inp, batchRows: batchRows)
            let s: Schema
            if let schema {
                s = schema
            } else {
                s = try JSONLImport.inferSchema(try j.peekRows())
            }
            self.schema = s
            jsonl = j
        }
    }

    func next() throws -> RecordBatch? {
        let b: RecordBatch?
        if ipc != nil {
            b = try ipc!.next().map { try RecordBatch(schema: $0.schema, columns: $0.columns.map { $0.compacted() }) }
        } else {
            b = try jsonl!.next(schema: schema)
        }
        if let b {
            rows += b.count
            progress.update(rows: rows, bytes: input.bytesRead)
        } else {
            progress.finish(rows: rows, bytes: input.bytesRead)
        }
        return b
    }

    /// The batches as an `AsyncSequence` for the dataset writer.
    var batches: Batches { Batches(reader: self) }

    struct Batches: AsyncSequence {
        typealias Element = RecordBatch
        let reader: ImportReader
        struct AsyncIterator: AsyncIteratorProtocol {
            let reader: ImportReader
            mutating func next() async throws -> RecordBatch? { try reader.next() }
        }
        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: reader) }
    }
}

/// Splits an input into JSON lines and parses them in batches.
struct JSONLReader {
    let input: InputFile
    let batchRows: Int
    /// Bytes read but not yet parsed: `carry[cursor...]` (consumed lines are dropped only when the
    /// next chunk is appended, so taking a line never moves the rest of the buffer).
    var carry: [UInt8] = []
    var cursor = 0
    /// Where the search for the next newline resumes (bytes before it, from `cursor`, have none).
    var scanned = 0
    var eof = false
    var lineNumber = 0
    var peeked: [JSONValue]?
    var peekedFirstLine = 1

    init(input: InputFile, batchRows: Int) {
        self.input = input
        self.batchRows = max(1, batchRows)
    }

    /// Parses up to `batchRows` lines.
    mutating func readRows() throws -> (rows: [JSONValue], firstLine: Int) {
        var rows: [JSONValue] = []
        let first = lineNumber + 1
        while rows.count < batchRows {
            if let nl = carry[max(cursor, scanned)...].firstIndex(of: 0x0A) {
                lineNumber += 1
                let line = carry[cursor ..< nl]
                cursor = nl + 1
                scanned = cursor
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                rows.append(try parse(Array(line)))
                continue
            }
            if eof {
                if cursor < carry.count {
                    lineNumber += 1
                    let line = Array(carry[cursor...])
                    carry = []
                    cursor = 0
                    scanned = 0
                    if !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { rows.append(try parse(line)) }
                }
                break
            }
            let chunk = try input.read(1 << 20)
            if chunk.isEmpty {
                eof = true
            } else {
                carry.removeSubrange(0 ..< cursor)
                cursor = 0
                scanned = carry.count
                carry += chunk
            }
        }
        return (rows, first)
    }

    func parse(_ line: [UInt8]) throws -> JSONValue {
        do { return try JSONValue.parse(line) } catch let e as LanceError {
            throw LanceError(.invalidInput, "line \(lineNumber): \(e.message)", path: input.path)
        }
    }

    /// The first batch of rows, kept for the next ``next(schema:)`` (for schema inference).
    mutating func peekRows() throws -> [JSONValue] {
        if let peeked { return peeked }
        let (rows, first) = try readRows()
        peeked = rows
        peekedFirstLine = first
        return rows
    }

    mutating func next(schema: Schema) throws -> RecordBatch? {
        let rows: [JSONValue], first: Int
        if let p = peeked {
            rows = p
            first = peekedFirstLine
            peeked = nil
        } else {
            (rows, first) = try readRows()
        }
        if rows.isEmpty { return nil }
        return try JSONLImport.batch(rows, schema: schema, firstLine: first)
    }
}

extension ArrayData {
    /// The same values in buffers of their own. Arrays decoded from an uncompressed IPC message are
    /// slices of the whole message; the file writer holds small columns for many batches, and
    /// without this each would keep every batch's whole message (all columns) alive.
    func compacted() -> ArrayData {
        func copy(_ b: Buffer) -> Buffer { b.withUnsafeBytes { Buffer(copying: $0) } }
        let validity = self.validity.map { Bitmap(buffer: copy($0.buffer), offset: $0.offset, count: $0.count) }
        return ArrayData(type: type, count: count, validity: validity, buffers: buffers.map(copy),
                         children: children.map { $0.compacted() }, dictionary: dictionary?.compacted(),
                         boolOffset: boolOffset)
    }
}
