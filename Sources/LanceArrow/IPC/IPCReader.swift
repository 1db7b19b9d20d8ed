import LanceCore
import LanceKernels

/// Reads the Arrow IPC **file** format (`ARROW1` magic, footer with random access to batches).
///
/// Supports the types of the columnar model (``DataType``), dictionary-encoded fields (also
/// nested), and body compression with ZSTD or LZ4_FRAME. Every offset, length and size read
/// from the input is checked; malformed input throws `LanceError(.corruptFile)`.
public struct ArrowIPCFileReader: Sendable {
    public let schema: Schema
    let layouts: [IPCFieldLayout]
    let data: Buffer
    let batchBlocks: [IPCBlock]
    let dictionaries: [Int64: ArrayData]

    /// Number of record batches in the file.
    public var recordBatchCount: Int { batchBlocks.count }

    public init(bytes: [UInt8]) throws { try self.init(Buffer(bytes)) }

    public init(_ data: Buffer) throws {
        let magic = Array("ARROW1".utf8)
        let n = data.count
        guard n >= 6 + 2 + 4 + 6 else { throw LanceError.corrupt("Arrow IPC file of \(n) bytes is too short") }
        guard data.slice(0, 6).bytes == magic, data.slice(n - 6, 6).bytes == magic else {
            throw LanceError.corrupt("not an Arrow IPC file (missing ARROW1 magic)")
        }
        let footerLen = Int(data.load(Int32.self, byteOffset: n - 10))
        guard footerLen > 0, footerLen <= n - 10 - 8 else { throw LanceError.corrupt("Arrow IPC footer length \(footerLen) out of range") }
        let footer = try FBTable.root(data.slice(n - 10 - footerLen, footerLen).bytes)
        guard let schemaTable = try footer.table(1) else { throw LanceError.corrupt("Arrow IPC footer has no schema") }
        let (schema, layouts) = try IPCSchemaCodec.decodeSchema(schemaTable)
        self.schema = schema
        self.layouts = layouts
        self.data = data
        let limit = n - 10 - footerLen
        func blocks(_ id: Int) throws -> [IPCBlock] {
            guard let (start, count) = try footer.vector(id, elementSize: 24) else { return [] }
            return try (0 ..< count).map { k in
                let p = start + 24 * k
                let b = IPCBlock(offset: FB.load(Int64.self, footer.buf, p),
                                 metadataLength: FB.load(Int32.self, footer.buf, p + 8),
                                 bodyLength: FB.load(Int64.self, footer.buf, p + 16))
                guard b.offset >= 8, b.metadataLength > 0, b.bodyLength >= 0,
                      b.offset <= Int64(limit), Int64(b.metadataLength) <= Int64(limit) - b.offset,
                      b.bodyLength <= Int64(limit) - b.offset - Int64(b.metadataLength)
                else { throw LanceError.corrupt("Arrow IPC block \(k) out of range") }
                return b
            }
        }
        batchBlocks = try blocks(3)
        var dicts = IPCDictionaries(layouts: layouts, schema: schema)
        for block in try blocks(2) {
            let msg = try IPCMessage.read(data, block: block)
            guard msg.type == .dictionaryBatch else { throw LanceError.corrupt("Arrow IPC dictionary block holds a \(msg.type) message") }
            try dicts.apply(msg)
        }
        dictionaries = dicts.values
    }

    /// The `i`-th record batch.
    public func recordBatch(at i: Int) throws -> RecordBatch {
        guard i >= 0 && i < batchBlocks.count else { throw LanceError.invalid("record batch \(i) out of range 0..<\(batchBlocks.count)") }
        let msg = try IPCMessage.read(data, block: batchBlocks[i])
        guard msg.type == .recordBatch, let header = msg.header else {
            throw LanceError.corrupt("Arrow IPC record batch block holds a \(msg.type) message")
        }
        return try IPCBatchDecoder.decode(header, body: msg.body, schema: schema, layouts: layouts, dictionaries: dictionaries)
    }

    /// All record batches in order.
    public func recordBatches() throws -> [RecordBatch] {
        try (0 ..< batchBlocks.count).map { try recordBatch(at: $0) }
    }
}

/// Reads the Arrow IPC **stream** format (a schema message, then dictionary and record batch
/// messages, optionally ended by an end-of-stream marker). Also accepts the pre-1.0 framing
/// without the 0xFFFFFFFF continuation marker.
public enum ArrowIPCStreamReader {
    public static func read(bytes: [UInt8]) throws -> (schema: Schema, batches: [RecordBatch]) {
        try read(Buffer(bytes))
    }

    public static func read(_ data: Buffer) throws -> (schema: Schema, batches: [RecordBatch]) {
        var pos = 0
        var schema: Schema?
        var layouts: [IPCFieldLayout] = []
        var dicts: IPCDictionaries?
        var batches: [RecordBatch] = []
        while pos < data.count {
            guard let msg = try IPCMessage.read(data, at: &pos) else { break }
            switch msg.type {
            case .schema:
                guard schema == nil, let h = msg.header else { throw LanceError.corrupt("Arrow IPC stream has a second schema") }
                let (s, l) = try IPCSchemaCodec.decodeSchema(h)
                schema = s
                layouts = l
                dicts = IPCDictionaries(layouts: l, schema: s)
            case .dictionaryBatch:
                guard dicts != nil else { throw LanceError.corrupt("Arrow IPC dictionary batch before the schema") }
                try dicts!.apply(msg)
            case .recordBatch:
                guard let schema, let dicts, let h = msg.header else { throw LanceError.corrupt("Arrow IPC record batch before the schema") }
                batches.append(try IPCBatchDecoder.decode(h, body: msg.body, schema: schema, layouts: layouts,
                                                          dictionaries: dicts.values))
            default:
                throw LanceError.unsupported("Arrow IPC message type \(msg.type)")
            }
        }
        guard let schema else { throw LanceError.corrupt("Arrow IPC stream without a schema") }
        return (schema, batches)
    }
}

struct IPCBlock {
    var offset: Int64
    var metadataLength: Int32
    var bodyLength: Int64
}

/// One encapsulated message: its header table (a Schema, RecordBatch or DictionaryBatch) and body.
struct IPCMessage {
    var type: MessageHeaderType
    var header: FBTable?
    var body: Buffer

    /// Reads the message described by a file footer block.
    static func read(_ data: Buffer, block: IPCBlock) throws -> IPCMessage {
        var pos = Int(block.offset)
        guard let m = try read(data, at: &pos) else { throw LanceError.corrupt("Arrow IPC block points at an end-of-stream marker") }
        guard pos <= Int(block.offset) + Int(block.metadataLength) + Int(block.bodyLength) else {
            throw LanceError.corrupt("Arrow IPC message is longer than its block")
        }
        return m
    }

    /// Reads the message at `pos` and advances past its body; nil at an end-of-stream marker.
    static func read(_ data: Buffer, at pos: inout Int) throws -> IPCMessage? {
        guard pos + 4 <= data.count else { throw LanceError.corrupt("truncated Arrow IPC message at byte \(pos)") }
        var len = data.load(Int32.self, byteOffset: pos)
        pos += 4
        if len == -1 {
            guard pos + 4 <= data.count else { throw LanceError.corrupt("truncated Arrow IPC message at byte \(pos)") }
            len = data.load(Int32.self, byteOffset: pos)
            pos += 4
        }
        if len == 0 { return nil }
        guard len > 0, Int(len) <= data.count - pos else {
            throw LanceError.corrupt("Arrow IPC message length \(len) out of range at byte \(pos)")
        }
        let meta = try FBTable.root(data.slice(pos, Int(len)).bytes)
        pos += Int(len)
        let typeRaw = try meta.scalar(1, UInt8(0))
        guard let type = MessageHeaderType(rawValue: typeRaw) else { throw LanceError.corrupt("Arrow IPC message type \(typeRaw)") }
        let bodyLength = try meta.scalar(3, Int64(0))
        guard bodyLength >= 0, bodyLength <= Int64(data.count - pos) else {
            throw LanceError.corrupt("Arrow IPC body length \(bodyLength) out of range")
        }
        let body = data.slice(pos, Int(bodyLength))
        pos += Int(bodyLength)
        return IPCMessage(type: type, header: try meta.table(2), body: body)
    }
}

/// Dictionaries by id, updated by dictionary batches.
struct IPCDictionaries {
    var values: [Int64: ArrayData] = [:]
    var valueTypes: [Int64: DataType] = [:]

    init(layouts: [IPCFieldLayout], schema: Schema) {
        func walk(_ f: Field, _ l: IPCFieldLayout) {
            var t = f.type
            if case .dictionary(_, let v) = t, let id = l.dictionaryID {
                valueTypes[id] = v
                t = v
            }
            for (c, cl) in zip(t.children, l.children) { walk(c, cl) }
        }
        for (f, l) in zip(schema.fields, layouts) { walk(f, l) }
    }

    mutating func apply(_ msg: IPCMessage) throws {
        guard let h = msg.header else { throw LanceError.corrupt("Arrow IPC dictionary batch without a header") }
        let id = try h.scalar(0, Int64(0))
        guard let type = valueTypes[id] else { throw LanceError.corrupt("Arrow IPC dictionary id \(id) is not in the schema") }
        guard let data = try h.table(1) else { throw LanceError.corrupt("Arrow IPC dictionary batch without data") }
        let isDelta = try h.bool(2)
        let schema = Schema([Field("dictionary", type)])
        let batch = try IPCBatchDecoder.decode(data, body: msg.body, schema: schema,
                                               layouts: [IPCFieldLayout(dictionaryID: nil, children: [])],
                                               dictionaries: values)
        let array = batch.columns[0]
        if isDelta, let old = values[id] {
            values[id] = ArrayData.concat([old, array])
        } else {
            values[id] = array
        }
    }
}

/// Turns a RecordBatch header plus body into arrays.
struct IPCBatchDecoder {
    let header: FBTable
    let body: Buffer
    let codec: Int8?
    let nodeStart: Int, nodeCount: Int
    let bufferStart: Int, bufferCount: Int
    let dictionaries: [Int64: ArrayData]
    var nextNode = 0
    var nextBuffer = 0

    static let maxLength: Int64 = 1 << 40

    static func decode(_ h: FBTable, body: Buffer, schema: Schema, layouts: [IPCFieldLayout],
                       dictionaries: [Int64: ArrayData]) throws -> RecordBatch {
        guard let nodes = try h.vector(1, elementSize: 16) else { throw LanceError.corrupt("Arrow IPC record batch without field nodes") }
        let buffers = try h.vector(2, elementSize: 16) ?? (0, 0)
        var codec: Int8?
        if let c = try h.table(3) {
            let method = try c.scalar(1, Int8(0))
            guard method == 0 else { throw LanceError.unsupported("Arrow IPC body compression method \(method)") }
            codec = try c.scalar(0, Int8(0))
        }
        let length = try h.scalar(0, Int64(0))
        guard length >= 0, length <= maxLength else { throw LanceError.corrupt("Arrow IPC record batch length \(length)") }
        var d = IPCBatchDecoder(header: h, body: body, codec: codec, nodeStart: nodes.start, nodeCount: nodes.count,
                                bufferStart: buffers.start, bufferCount: buffers.count, dictionaries: dictionaries)
        var columns: [ArrayData] = []
        for (f, l) in zip(schema.fields, layouts) {
            let a = try d.array(f.type, l, depth: 0)
            guard a.count == Int(length) else {
                throw LanceError(.corruptFile, "Arrow IPC column has \(a.count) values, the batch \(length)", column: f.name)
            }
            columns.append(a)
        }
        if schema.fields.isEmpty { return RecordBatch(emptyWithCount: Int(length)) }
        return try RecordBatch(schema: schema, columns: columns)
    }

    mutating func node() throws -> (length: Int, nullCount: Int) {
        guard nextNode < nodeCount else { throw LanceError.corrupt("Arrow IPC record batch has too few field nodes") }
        let p = nodeStart + 16 * nextNode
        nextNode += 1
        let len = FB.load(Int64.self, header.buf, p), nulls = FB.load(Int64.self, header.buf, p + 8)
        guard len >= 0, len <= Self.maxLength, nulls >= 0, nulls <= len else {
            throw LanceError.corrupt("Arrow IPC field node (length \(len), nulls \(nulls)) is invalid")
        }
        return (Int(len), Int(nulls))
    }

    mutating func buffer() throws -> Buffer {
        guard nextBuffer < bufferCount else { throw LanceError.corrupt("Arrow IPC record batch has too few buffers") }
        let p = bufferStart + 16 * nextBuffer
        nextBuffer += 1
        let off = FB.load(Int64.self, header.buf, p), len = FB.load(Int64.self, header.buf, p + 8)
        guard off >= 0, len >= 0, off <= Int64(body.count), len <= Int64(body.count) - off else {
            throw LanceError.corrupt("Arrow IPC buffer \(off)+\(len) outside a body of \(body.count) bytes")
        }
        let raw = body.slice(Int(off), Int(len))
        guard let codec, len > 0 else { return raw }
        guard len >= 8 else { throw LanceError.corrupt("compressed Arrow IPC buffer of \(len) bytes") }
        let size = raw.load(Int64.self, byteOffset: 0)
        let payload = raw.slice(8, raw.count - 8)
        if size == -1 { return payload }
        guard size >= 0, size <= Int64(Int32.max) * 16 else { throw LanceError.corrupt("Arrow IPC buffer declares \(size) bytes") }
        let out: [UInt8]
        switch codec {
        case 1:
            do {
                out = try payload.withUnsafeBytes { raw throws(CodecError) in try Zstd.decompress(raw, limit: Int(size)) }
            } catch {
                throw LanceError.corrupt("Arrow IPC ZSTD buffer: \(error)")
            }
        case 0:
            out = try payload.withUnsafeBytes { try LZ4Frame.decompress($0, limit: Int(size)) }
        default:
            throw LanceError.unsupported("Arrow IPC compression codec \(codec)")
        }
        guard out.count == Int(size) else {
            throw LanceError.corrupt("Arrow IPC buffer decompressed to \(out.count) bytes, expected \(size)")
        }
        return Buffer(out)
    }

    func validity(_ b: Buffer, length: Int, nullCount: Int) throws -> Bitmap? {
        if nullCount == 0 { return nil }
        guard b.count >= (length + 7) / 8 else { throw LanceError.corrupt("Arrow IPC validity buffer too short") }
        return Bitmap(buffer: b, offset: 0, count: length)
    }

    func need(_ b: Buffer, _ bytes: Int, _ what: String) throws {
        guard b.count >= bytes else { throw LanceError.corrupt("Arrow IPC \(what) buffer has \(b.count) bytes, needs \(bytes)") }
    }

    /// Offsets for `length` values, checked to be non-decreasing from >= 0; returns the buffer and the last offset.
    func offsets(_ b: Buffer, length: Int, large: Bool) throws -> (Buffer, Int) {
        let w = large ? 8 : 4
        if length == 0 && b.count < w { return (Buffer(zeroed: w), 0) }
        try need(b, (length + 1) * w, "offsets")
        var prev: Int64 = large ? b.load(Int64.self, at: 0) : Int64(b.load(Int32.self, at: 0))
        guard prev >= 0 else { throw LanceError.corrupt("negative Arrow IPC offset") }
        for i in 1 ... max(length, 1) where i <= length {
            let v: Int64 = large ? b.load(Int64.self, at: i) : Int64(b.load(Int32.self, at: i))
            guard v >= prev else { throw LanceError.corrupt("decreasing Arrow IPC offsets at \(i)") }
            prev = v
        }
        guard prev <= Int64(Int.max / 2) else { throw LanceError.corrupt("Arrow IPC offset too large") }
        return (b, Int(prev))
    }

    mutating func array(_ type: DataType, _ layout: IPCFieldLayout, depth: Int) throws -> ArrayData {
        guard depth < IPCSchemaCodec.maxDepth else { throw LanceError.corrupt("Arrow IPC arrays nested too deeply") }
        let (n, nulls) = try node()
        if case .null = type { return ArrayData(type: .null, count: n) }
        let v = try validity(try buffer(), length: n, nullCount: nulls)
        switch type {
        case .null:
            return ArrayData(type: .null, count: n)
        case .bool:
            let b = try buffer()
            try need(b, (n + 7) / 8, "bool")
            return ArrayData(type: type, count: n, validity: v, buffers: [b])
        case .utf8, .binary, .largeUtf8, .largeBinary:
            let (o, last) = try offsets(try buffer(), length: n, large: type.hasLargeOffsets)
            let data = try buffer()
            try need(data, last, "data")
            return ArrayData(type: type, count: n, validity: v, buffers: [o, data])
        case .list(let f), .largeList(let f):
            let (o, last) = try offsets(try buffer(), length: n, large: type.hasLargeOffsets)
            let child = try array(f.type, layout.children.first ?? IPCFieldLayout(dictionaryID: nil, children: []), depth: depth + 1)
            guard child.count >= last else { throw LanceError.corrupt("Arrow IPC list offsets exceed \(child.count) items") }
            return ArrayData(type: type, count: n, validity: v, buffers: [o], children: [child])
        case .fixedSizeList(let f, let size):
            var child = try array(f.type, layout.children.first ?? IPCFieldLayout(dictionaryID: nil, children: []), depth: depth + 1)
            guard child.count >= n * size else { throw LanceError.corrupt("Arrow IPC fixed-size list has too few items") }
            if child.count > n * size { child = child.slice(0, n * size) }
            return ArrayData(type: type, count: n, validity: v, children: [child])
        case .struct(let fields):
            var children: [ArrayData] = []
            for (k, f) in fields.enumerated() {
                let l = k < layout.children.count ? layout.children[k] : IPCFieldLayout(dictionaryID: nil, children: [])
                var c = try array(f.type, l, depth: depth + 1)
                guard c.count >= n else { throw LanceError.corrupt("Arrow IPC struct member is shorter than the struct") }
                if c.count > n { c = c.slice(0, n) }
                children.append(c)
            }
            return ArrayData(type: type, count: n, validity: v, children: children)
        case .dictionary(let index, _):
            guard let id = layout.dictionaryID, let dict = dictionaries[id] else {
                throw LanceError.corrupt("Arrow IPC dictionary \(layout.dictionaryID.map(String.init) ?? "?") was not sent before its batch")
            }
            let b = try buffer()
            let w = index.byteWidth!
            try need(b, n * w, "dictionary index")
            for i in 0 ..< n where v?[i] ?? true {
                let k: Int64
                switch index {
                case .int8: k = Int64(b.load(Int8.self, at: i))
                case .uint8: k = Int64(b.load(UInt8.self, at: i))
                case .int16: k = Int64(b.load(Int16.self, at: i))
                case .uint16: k = Int64(b.load(UInt16.self, at: i))
                case .int32: k = Int64(b.load(Int32.self, at: i))
                case .uint32: k = Int64(b.load(UInt32.self, at: i))
                case .int64: k = b.load(Int64.self, at: i)
                default:
                    let u = b.load(UInt64.self, at: i)
                    k = u > UInt64(Int64.max) ? -1 : Int64(u)
                }
                guard k >= 0 && k < Int64(dict.count) else {
                    throw LanceError.corrupt("Arrow IPC dictionary index \(k) out of range 0..<\(dict.count)")
                }
            }
            return ArrayData(type: type, count: n, validity: v, buffers: [b], dictionary: dict)
        default:
            guard let w = type.byteWidth else { throw LanceError.unsupported("Arrow IPC type \(type)") }
            let b = try buffer()
            try need(b, n * w, "values")
            return ArrayData(type: type, count: n, validity: v, buffers: [b])
        }
    }
}
