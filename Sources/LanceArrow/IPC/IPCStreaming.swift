import LanceCore
import LanceKernels

/// Body compression codecs of the Arrow IPC format (`CompressionType` in Message.fbs).
public enum ArrowIPCCompression: Int8, Sendable, Hashable {
    case lz4Frame = 0
    case zstd = 1

    /// One buffer compressed with this codec (without Arrow's 8-byte length prefix).
    func compress(_ raw: [UInt8]) -> [UInt8] {
        switch self {
        case .zstd: return Zstd.compress(raw, level: 1, checksum: false)
        case .lz4Frame: return LZ4Frame.compress(raw)
        }
    }
}

/// Writes an Arrow IPC stream incrementally: ``begin(schema:)`` returns the schema message,
/// ``write(_:)`` the messages of one batch (dictionaries first), ``end()`` the end-of-stream marker.
/// Memory is bounded by one batch.
public struct ArrowIPCStreamWriter: Sendable {
    let schema: Schema
    let compression: ArrowIPCCompression?

    public init(schema: Schema, compression: ArrowIPCCompression? = nil) {
        self.schema = schema
        self.compression = compression
    }

    /// The schema message.
    public func begin() throws -> [UInt8] {
        var w = MessageWriter()
        w.compression = compression
        try w.writeSchema(schema)
        return w.out
    }

    /// The dictionary and record batch messages of `batch`.
    public func write(_ batch: RecordBatch) throws -> [UInt8] {
        try ArrowIPCWriter.check(batch, schema)
        var w = MessageWriter()
        w.compression = compression
        for (id, dict) in ArrowIPCWriter.dictionaries(of: batch, schema: schema).enumerated() {
            _ = try w.writeDictionary(id: Int64(id), dict)
        }
        _ = try w.writeBatch(batch)
        return w.out
    }

    /// The end-of-stream marker.
    public func end() -> [UInt8] { [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0] }
}

/// Reads an Arrow IPC stream — or the stream inside an Arrow IPC file — one message at a time
/// from a byte source, so that memory is bounded by one batch, not by the input.
///
/// `source(n)` returns up to `n` bytes; an empty result is the end of the input. A file (`ARROW1`
/// magic) is read sequentially: its messages are a stream that ends with an end-of-stream
/// marker before the footer.
public struct ArrowIPCIncrementalReader {
    public private(set) var schema: Schema
    let layouts: [IPCFieldLayout]
    var dictionaries: IPCDictionaries
    let source: (Int) throws -> [UInt8]
    var finished = false
    /// Bytes consumed so far.
    public private(set) var bytesRead = 0
    /// Largest message accepted (metadata or body), a guard against absurd declared sizes.
    public var maxMessageBytes = 1 << 34

    public init(source: @escaping (Int) throws -> [UInt8]) throws {
        self.source = source
        var consumed = 0
        var first: [UInt8] = []
        while first.count < 8 {
            let more = try source(8 - first.count)
            if more.isEmpty { break }
            first += more
        }
        consumed += first.count
        if first.count >= 6, Array(first[0 ..< 6]) == Array("ARROW1".utf8) {
            first = []  // the file magic and its padding
        }
        var pending = first
        func readMessage() throws -> IPCMessage? {
            try ArrowIPCIncrementalReader.nextMessage(source: source, pending: &pending, consumed: &consumed,
                                                      limit: 1 << 34)
        }
        guard let msg = try readMessage() else { throw LanceError.corrupt("Arrow IPC stream without a schema") }
        guard msg.type == .schema, let h = msg.header else {
            throw LanceError.corrupt("Arrow IPC stream does not start with a schema message")
        }
        let (s, l) = try IPCSchemaCodec.decodeSchema(h)
        schema = s
        layouts = l
        dictionaries = IPCDictionaries(layouts: l, schema: s)
        bytesRead = consumed
        precondition(pending.isEmpty)
    }

    /// The next record batch, or nil at the end of the stream.
    public mutating func next() throws -> RecordBatch? {
        while !finished {
            var pending: [UInt8] = []
            var consumed = 0
            let msg = try ArrowIPCIncrementalReader.nextMessage(source: source, pending: &pending, consumed: &consumed,
                                                                limit: maxMessageBytes)
            bytesRead += consumed
            guard let msg else {
                finished = true
                return nil
            }
            switch msg.type {
            case .dictionaryBatch:
                try dictionaries.apply(msg)
            case .recordBatch:
                guard let h = msg.header else { throw LanceError.corrupt("Arrow IPC record batch without a header") }
                return try IPCBatchDecoder.decode(h, body: msg.body, schema: schema, layouts: layouts,
                                                  dictionaries: dictionaries.values)
            case .schema:
                throw LanceError.corrupt("Arrow IPC stream has a second schema")
            default:
                throw LanceError.unsupported("Arrow IPC message type \(msg.type)")
            }
        }
        return nil
    }

    /// Reads one encapsulated message (nil at an end-of-stream marker or at the end of the input).
    static func nextMessage(source: (Int) throws -> [UInt8], pending: inout [UInt8], consumed: inout Int,
                            limit: Int) throws -> IPCMessage? {
        func take(_ n: Int) throws -> [UInt8] {
            var out: [UInt8] = []
            if !pending.isEmpty {
                let k = min(n, pending.count)
                out.append(contentsOf: pending[0 ..< k])
                pending.removeFirst(k)
            }
            while out.count < n {
                let more = try source(n - out.count)
                if more.isEmpty { break }
                consumed += more.count
                out.append(contentsOf: more)
            }
            return out
        }
        func int32(_ b: [UInt8]) -> Int32 {
            Int32(littleEndian: Int32(bitPattern: UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24))
        }
        var word = try take(4)
        if word.isEmpty { return nil }  // end of input without a marker
        guard word.count == 4 else { throw LanceError.corrupt("truncated Arrow IPC message prefix") }
        var prefix = word
        if int32(word) == -1 {
            word = try take(4)
            guard word.count == 4 else { throw LanceError.corrupt("truncated Arrow IPC message prefix") }
            prefix += word
        }
        let len = Int(int32(word))
        if len == 0 { return nil }
        guard len > 0, len <= min(limit, 1 << 30) else { throw LanceError.corrupt("Arrow IPC metadata length \(len) out of range") }
        let meta = try take(len)
        guard meta.count == len else { throw LanceError.corrupt("truncated Arrow IPC message metadata") }
        let table = try FBTable.root(meta)
        let bodyLength = try table.scalar(3, Int64(0))
        guard bodyLength >= 0, bodyLength <= Int64(limit) else {
            throw LanceError.corrupt("Arrow IPC body length \(bodyLength) out of range")
        }
        // Read the body in chunks so that a lying length fails at the end of the input, not in an
        // allocation; then copy prefix, metadata and chunks once into the message's buffer.
        var chunks: [[UInt8]] = [prefix, meta]
        var left = Int(bodyLength)
        while left > 0 {
            let chunk = try take(min(left, 1 << 24))
            guard !chunk.isEmpty else { throw LanceError.corrupt("truncated Arrow IPC message body") }
            left -= chunk.count
            chunks.append(chunk)
        }
        let total = prefix.count + meta.count + Int(bodyLength)
        let message = Buffer(count: total) { out in
            var at = 0
            for c in chunks {
                if c.isEmpty { continue }
                c.withUnsafeBytes { out.baseAddress!.advanced(by: at).copyMemory(from: $0.baseAddress!, byteCount: c.count) }
                at += c.count
            }
        }
        chunks = []
        var pos = 0
        return try IPCMessage.read(message, at: &pos)
    }
}

extension LZ4Frame {
    /// An LZ4 frame of independent 4 MiB blocks (each compressed, or stored when it does not shrink),
    /// with a content size and the header checksum; no block or content checksums.
    static func compress(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x04, 0x22, 0x4D, 0x18]
        let flg: UInt8 = 0x40 | 0x20 | 0x08  // version 01, independent blocks, content size present
        let bd: UInt8 = 0x70  // 4 MiB blocks
        var header: [UInt8] = [flg, bd]
        withUnsafeBytes(of: UInt64(input.count).littleEndian) { header.append(contentsOf: $0) }
        out += header
        out.append(UInt8(truncatingIfNeeded: XXHash32.hash(header) >> 8))
        let block = 4 << 20
        var p = 0
        while p < input.count {
            let n = min(block, input.count - p)
            let chunk = Array(input[p ..< p + n])
            let packed = LZ4.compressBlock(chunk)
            let stored = packed.count >= n
            let size = UInt32(stored ? n : packed.count) | (stored ? 0x8000_0000 : 0)
            withUnsafeBytes(of: size.littleEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: stored ? chunk : packed)
            p += n
        }
        out += [0, 0, 0, 0]
        return out
    }
}

/// xxHash32 (the LZ4 frame header checksum).
enum XXHash32 {
    static let p1: UInt32 = 2_654_435_761, p2: UInt32 = 2_246_822_519, p3: UInt32 = 3_266_489_917
    static let p4: UInt32 = 668_265_263, p5: UInt32 = 374_761_393

    static func rotl(_ x: UInt32, _ r: UInt32) -> UInt32 { (x << r) | (x >> (32 - r)) }

    static func hash(_ b: [UInt8], seed: UInt32 = 0) -> UInt32 {
        func u32(_ i: Int) -> UInt32 { UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24 }
        func round(_ acc: UInt32, _ v: UInt32) -> UInt32 { rotl(acc &+ v &* p2, 13) &* p1 }
        var i = 0
        var h: UInt32
        if b.count >= 16 {
            var v1 = seed &+ p1 &+ p2, v2 = seed &+ p2, v3 = seed, v4 = seed &- p1
            while i + 16 <= b.count {
                v1 = round(v1, u32(i)); v2 = round(v2, u32(i + 4)); v3 = round(v3, u32(i + 8)); v4 = round(v4, u32(i + 12))
                i += 16
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
        } else {
            h = seed &+ p5
        }
        h = h &+ UInt32(truncatingIfNeeded: b.count)
        while i + 4 <= b.count {
            h = rotl(h &+ u32(i) &* p3, 17) &* p4
            i += 4
        }
        while i < b.count {
            h = rotl(h &+ UInt32(b[i]) &* p5, 11) &* p1
            i += 1
        }
        h ^= h >> 15; h = h &* p2; h ^= h >> 13; h = h &* p3; h ^= h >> 16
        return h
    }
}
