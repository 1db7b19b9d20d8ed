import LanceCore

/// Writes the Arrow IPC stream and file formats, metadata version V5, with optional body
/// compression (ZSTD or LZ4_FRAME per buffer; a buffer that does not shrink is stored raw with
/// the -1 length prefix, as Arrow's own writers do).
///
/// Every column type of ``DataType`` is supported; dictionary-encoded columns get one dictionary
/// id each (depth-first). In the stream format each batch sends its dictionaries (replacing the
/// previous ones); in the file format, which cannot replace dictionaries, all batches must share
/// the first batch's dictionary values.
public enum ArrowIPCWriter {
    /// The IPC stream: schema, then (dictionaries and) record batches, then the end-of-stream marker.
    public static func stream(schema: Schema, batches: [RecordBatch],
                              compression: ArrowIPCCompression? = nil) throws -> [UInt8] {
        var w = MessageWriter()
        w.compression = compression
        try w.writeSchema(schema)
        for b in batches {
            try check(b, schema)
            for (id, dict) in dictionaries(of: b, schema: schema).enumerated() {
                _ = try w.writeDictionary(id: Int64(id), dict)
            }
            _ = try w.writeBatch(b)
        }
        w.out.append(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        return w.out
    }

    /// The IPC file: `ARROW1`, the stream, a footer indexing the dictionary and record batch blocks, `ARROW1`.
    public static func file(schema: Schema, batches: [RecordBatch],
                            compression: ArrowIPCCompression? = nil) throws -> [UInt8] {
        var w = MessageWriter()
        w.compression = compression
        w.out = Array("ARROW1".utf8) + [0, 0]
        try w.writeSchema(schema)
        var dictBlocks: [[UInt8]] = []
        var batchBlocks: [[UInt8]] = []
        var first: [ArrayData]?
        for b in batches {
            try check(b, schema)
            let dicts = dictionaries(of: b, schema: schema)
            if let first {
                for (x, y) in zip(first, dicts) {
                    if try !sameValues(x, y) {
                        throw LanceError.unsupported("Arrow IPC files cannot replace a dictionary; batches have different dictionaries")
                    }
                }
            } else {
                first = dicts
                for (id, d) in dicts.enumerated() { dictBlocks.append(try w.writeDictionary(id: Int64(id), d)) }
            }
            batchBlocks.append(try w.writeBatch(b))
        }
        w.out.append(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        var fb = FBBuilder()
        var nextID: Int64 = 0
        let schemaRef = try IPCSchemaCodec.encodeSchema(schema, &fb, nextDictionaryID: &nextID)
        let dictVec = fb.vector(ofStructs: dictBlocks, structSize: 24, align: 8)
        let batchVec = fb.vector(ofStructs: batchBlocks, structSize: 24, align: 8)
        fb.startTable()
        fb.field(1, ref: schemaRef)
        fb.field(2, ref: dictVec)
        fb.field(3, ref: batchVec)
        fb.field(0, Int16(4))
        let footer = fb.finish(fb.endTable())
        w.out.append(contentsOf: footer)
        withUnsafeBytes(of: Int32(footer.count).littleEndian) { w.out.append(contentsOf: $0) }
        w.out.append(contentsOf: Array("ARROW1".utf8))
        return w.out
    }

    static func check(_ b: RecordBatch, _ schema: Schema) throws {
        guard b.schema.fields.map(\.type) == schema.fields.map(\.type) else {
            throw LanceError(.schemaMismatch, "record batch schema differs from the stream's schema")
        }
    }

    /// Dictionaries of a batch's dictionary-encoded columns, in dictionary-id order (depth-first).
    static func dictionaries(of batch: RecordBatch, schema: Schema) -> [ArrayData] {
        var out: [ArrayData] = []
        func walk(_ a: ArrayData) {
            switch a.type {
            case .dictionary: out.append(a.dictionary ?? .nulls(.null, count: 0))
            case .list, .largeList, .fixedSizeList: walk(a.children[0])
            case .struct: a.children.forEach(walk)
            default: break
            }
        }
        batch.columns.forEach(walk)
        return out
    }

    static func sameValues(_ a: ArrayData, _ b: ArrayData) throws -> Bool {
        guard a.count == b.count else { return false }
        for i in 0 ..< a.count {
            if try a.jsonValue(at: i) != b.jsonValue(at: i) { return false }
        }
        return true
    }
}

/// Encapsulates messages: continuation marker, metadata length, flatbuffer padded to 8, body.
struct MessageWriter {
    var out: [UInt8] = []
    var compression: ArrowIPCCompression?

    mutating func writeSchema(_ schema: Schema) throws {
        var fb = FBBuilder()
        var nextID: Int64 = 0
        let s = try IPCSchemaCodec.encodeSchema(schema, &fb, nextDictionaryID: &nextID)
        _ = writeMessage(&fb, type: .schema, header: s, body: [])
    }

    /// Writes a message and returns its file Block (24 bytes: offset, metadata length, pad, body length).
    mutating func writeMessage(_ fb: inout FBBuilder, type: MessageHeaderType, header: FBBuilder.Ref, body: [UInt8]) -> [UInt8] {
        fb.startTable()
        fb.field(3, Int64(body.count))
        fb.field(2, ref: header)
        fb.field(0, Int16(4))  // MetadataVersion V5
        fb.field(1, type.rawValue)
        var meta = fb.finish(fb.endTable())
        let offset = out.count
        while (8 + meta.count) % 8 != 0 { meta.append(0) }
        out.append(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF])
        withUnsafeBytes(of: Int32(meta.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: meta)
        out.append(contentsOf: body)
        var block: [UInt8] = []
        withUnsafeBytes(of: Int64(offset).littleEndian) { block.append(contentsOf: $0) }
        withUnsafeBytes(of: Int32(8 + meta.count).littleEndian) { block.append(contentsOf: $0) }
        block.append(contentsOf: [0, 0, 0, 0])
        withUnsafeBytes(of: Int64(body.count).littleEndian) { block.append(contentsOf: $0) }
        return block
    }

    mutating func writeBatch(_ batch: RecordBatch) throws -> [UInt8] {
        var enc = BodyEncoder()
        enc.compression = compression
        for c in batch.columns { try enc.add(c) }
        var fb = FBBuilder()
        let rb = enc.recordBatchTable(&fb, length: batch.count)
        return writeMessage(&fb, type: .recordBatch, header: rb, body: enc.body)
    }

    mutating func writeDictionary(id: Int64, _ dict: ArrayData) throws -> [UInt8] {
        var enc = BodyEncoder()
        enc.compression = compression
        try enc.add(dict)
        var fb = FBBuilder()
        let rb = enc.recordBatchTable(&fb, length: dict.count)
        fb.startTable()
        fb.field(0, id)
        fb.field(1, ref: rb)
        fb.field(2, UInt8(0))
        let db = fb.endTable()
        return writeMessage(&fb, type: .dictionaryBatch, header: db, body: enc.body)
    }
}

/// Lays out a batch's field nodes and buffers (each buffer padded to 8 bytes).
struct BodyEncoder {
    var nodes: [[UInt8]] = []
    var buffers: [[UInt8]] = []
    var body: [UInt8] = []
    var compression: ArrowIPCCompression?

    mutating func node(_ length: Int, _ nulls: Int) {
        var b: [UInt8] = []
        withUnsafeBytes(of: Int64(length).littleEndian) { b.append(contentsOf: $0) }
        withUnsafeBytes(of: Int64(nulls).littleEndian) { b.append(contentsOf: $0) }
        nodes.append(b)
    }

    mutating func buffer(_ raw: [UInt8]) {
        var bytes = raw
        if let compression, !raw.isEmpty {
            let packed = compression.compress(raw)
            var framed: [UInt8] = []
            framed.reserveCapacity(8 + min(packed.count, raw.count))
            let useRaw = packed.count >= raw.count
            withUnsafeBytes(of: (useRaw ? Int64(-1) : Int64(raw.count)).littleEndian) { framed.append(contentsOf: $0) }
            framed.append(contentsOf: useRaw ? raw : packed)
            bytes = framed
        }
        var d: [UInt8] = []
        withUnsafeBytes(of: Int64(body.count).littleEndian) { d.append(contentsOf: $0) }
        withUnsafeBytes(of: Int64(bytes.count).littleEndian) { d.append(contentsOf: $0) }
        buffers.append(d)
        body.append(contentsOf: bytes)
        while body.count % 8 != 0 { body.append(0) }
    }

    mutating func add(_ a: ArrayData) throws {
        let n = a.count
        node(n, a.nullCount)
        if case .null = a.type { return }
        if let v = a.validity, a.nullCount > 0 {
            buffer(Bitmap((0 ..< n).lazy.map { v[$0] }).buffer.bytes)
        } else {
            buffer([])
        }
        switch a.type {
        case .null:
            return
        case .bool:
            buffer(Bitmap((0 ..< n).lazy.map { a.boolValue($0) }).buffer.bytes)
        case .utf8, .binary, .largeUtf8, .largeBinary:
            let (offsets, first, last) = rebased(a)
            buffer(offsets)
            buffer(n == 0 ? [] : a.buffers[1].slice(first ..< last).bytes)
        case .list, .largeList:
            let (offsets, first, last) = rebased(a)
            buffer(offsets)
            try add(a.children[0].slice(first, last - first))
        case .fixedSizeList:
            try add(a.children[0])
        case .struct:
            for c in a.children { try add(c) }
        case .dictionary(let index, _):
            buffer(a.buffers[0].slice(0, n * index.byteWidth!).bytes)
        default:
            let w = a.type.byteWidth!
            buffer(a.buffers[0].slice(0, n * w).bytes)
        }
    }

    /// Offsets starting at 0 and the original first/last offsets.
    func rebased(_ a: ArrayData) -> ([UInt8], Int, Int) {
        let n = a.count
        let first = n == 0 ? 0 : a.valueRange(0).lowerBound
        let last = n == 0 ? 0 : a.valueRange(n - 1).upperBound
        var out: [UInt8] = []
        let large = a.type.hasLargeOffsets
        for i in 0 ... n {
            let o = i == 0 ? 0 : a.valueRange(i - 1).upperBound - first
            if large {
                withUnsafeBytes(of: Int64(o).littleEndian) { out.append(contentsOf: $0) }
            } else {
                withUnsafeBytes(of: Int32(o).littleEndian) { out.append(contentsOf: $0) }
            }
        }
        return (out, first, last)
    }

    func recordBatchTable(_ fb: inout FBBuilder, length: Int) -> FBBuilder.Ref {
        let nodesVec = fb.vector(ofStructs: nodes, structSize: 16, align: 8)
        let buffersVec = fb.vector(ofStructs: buffers, structSize: 16, align: 8)
        var compressionRef: FBBuilder.Ref?
        if let compression {
            fb.startTable()
            fb.field(0, compression.rawValue)
            fb.field(1, Int8(0))  // BodyCompressionMethod.BUFFER
            compressionRef = fb.endTable()
        }
        fb.startTable()
        fb.field(0, Int64(length))
        fb.field(1, ref: nodesVec)
        fb.field(2, ref: buffersVec)
        if let compressionRef { fb.field(3, ref: compressionRef) }
        return fb.endTable()
    }
}
