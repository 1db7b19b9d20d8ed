import LanceCore

/// Arrow IPC's view of a field besides its ``DataType``: the dictionary id of dictionary-encoded
/// fields, per field in depth-first order.
struct IPCFieldLayout: Sendable {
    var dictionaryID: Int64?
    var children: [IPCFieldLayout]
}

/// Type ids of the `Type` union in Arrow's Schema.fbs.
enum ArrowTypeID: UInt8 {
    case none = 0, null, int, floatingPoint, binary, utf8, bool, decimal, date, time, timestamp, interval,
         list, structType, union, fixedSizeBinary, fixedSizeList, map, duration, largeBinary, largeUtf8,
         largeList, runEndEncoded, binaryView, utf8View, listView, largeListView
}

enum MessageHeaderType: UInt8 {
    case none = 0, schema, dictionaryBatch, recordBatch, tensor, sparseTensor
}

enum IPCSchemaCodec {
    static let maxDepth = 64

    // MARK: decoding

    static func decodeSchema(_ t: FBTable) throws -> (Schema, [IPCFieldLayout]) {
        let endianness = try t.scalar(0, Int16(0))
        guard endianness == 0 else { throw LanceError.unsupported("big-endian Arrow IPC data") }
        var fields: [Field] = []
        var layouts: [IPCFieldLayout] = []
        for f in try t.tables(1) {
            let (field, layout) = try decodeField(f, depth: 0)
            fields.append(field)
            layouts.append(layout)
        }
        return (Schema(fields, metadata: try decodeMetadata(t, 2)), layouts)
    }

    static func decodeMetadata(_ t: FBTable, _ id: Int) throws -> [String: String] {
        var md: [String: String] = [:]
        for kv in try t.tables(id) {
            if let k = try kv.string(0) { md[k] = try kv.string(1) ?? "" }
        }
        return md
    }

    static func decodeField(_ f: FBTable, depth: Int) throws -> (Field, IPCFieldLayout) {
        guard depth < maxDepth else { throw FB.error("fields nested deeper than \(maxDepth)") }
        let name = try f.string(0) ?? ""
        let nullable = try f.bool(1)
        let typeID = try f.scalar(2, UInt8(0))
        let typeTable = try f.table(3)
        var childFields: [Field] = []
        var childLayouts: [IPCFieldLayout] = []
        for c in try f.tables(5) {
            let (cf, cl) = try decodeField(c, depth: depth + 1)
            childFields.append(cf)
            childLayouts.append(cl)
        }
        var type = try decodeType(typeID, typeTable, children: childFields, name: name)
        var dictID: Int64?
        if let d = try f.table(4) {
            dictID = try d.scalar(0, Int64(0))
            var index = DataType.int32
            if let it = try d.table(1) { index = try intType(it) }
            guard index.isInteger else { throw FB.error("dictionary index type \(index)") }
            type = .dictionary(index: index, value: type)
        }
        let field = Field(name, type, nullable: nullable, metadata: try decodeMetadata(f, 6))
        return (field, IPCFieldLayout(dictionaryID: dictID, children: childLayouts))
    }

    static func intType(_ t: FBTable) throws -> DataType {
        let bits = try t.scalar(0, Int32(0))
        let signed = try t.bool(1)
        switch (bits, signed) {
        case (8, true): return .int8
        case (16, true): return .int16
        case (32, true): return .int32
        case (64, true): return .int64
        case (8, false): return .uint8
        case (16, false): return .uint16
        case (32, false): return .uint32
        case (64, false): return .uint64
        default: throw FB.error("integer of \(bits) bits")
        }
    }

    static func decodeType(_ id: UInt8, _ t: FBTable?, children: [Field], name: String) throws -> DataType {
        guard let kind = ArrowTypeID(rawValue: id) else { throw FB.error("unknown type id \(id) (field \(name))") }
        func table() throws -> FBTable {
            guard let t else { throw FB.error("type \(kind) without its table (field \(name))") }
            return t
        }
        func oneChild() throws -> Field {
            guard children.count == 1 else { throw FB.error("\(kind) with \(children.count) children (field \(name))") }
            return children[0]
        }
        switch kind {
        case .null: return .null
        case .bool: return .bool
        case .int: return try intType(try table())
        case .floatingPoint:
            switch try table().scalar(0, Int16(0)) {
            case 0: return .float16
            case 1: return .float32
            case 2: return .float64
            case let p: throw FB.error("floating-point precision \(p)")
            }
        case .binary: return .binary
        case .utf8: return .utf8
        case .largeBinary: return .largeBinary
        case .largeUtf8: return .largeUtf8
        case .fixedSizeBinary:
            let w = try table().scalar(0, Int32(0))
            guard w >= 0 else { throw FB.error("fixed_size_binary width \(w)") }
            return .fixedSizeBinary(Int(w))
        case .decimal:
            let t = try table()
            let bits = try t.scalar(2, Int32(128))
            guard bits == 128 else { throw LanceError.unsupported("decimal\(bits) in Arrow IPC (field \(name))") }
            return .decimal128(precision: Int(try t.scalar(0, Int32(0))), scale: Int(try t.scalar(1, Int32(0))))
        case .date:
            // DateUnit: DAY = 0, MILLISECOND = 1 (the default)
            return try (t?.scalar(0, Int16(1)) ?? 1) == 0 ? .date32 : .date64
        case .timestamp:
            let t = try table()
            let units: [TimeUnit] = [.second, .millisecond, .microsecond, .nanosecond]
            let u = Int(try t.scalar(0, Int16(0)))
            guard u >= 0 && u < 4 else { throw FB.error("time unit \(u)") }
            return .timestamp(units[u], timezone: try t.string(1))
        case .list: return .list(try oneChild())
        case .largeList: return .largeList(try oneChild())
        case .fixedSizeList:
            let n = try table().scalar(0, Int32(0))
            guard n >= 0 else { throw FB.error("fixed_size_list size \(n)") }
            return .fixedSizeList(try oneChild(), Int(n))
        case .structType: return .struct(children)
        default:
            throw LanceError.unsupported("Arrow type \(kind) in IPC data (field \(name))")
        }
    }

    // MARK: encoding

    /// Writes a Schema table; dictionary ids are assigned depth-first from `nextDictionaryID`.
    static func encodeSchema(_ schema: Schema, _ b: inout FBBuilder, nextDictionaryID: inout Int64) throws -> FBBuilder.Ref {
        var fieldRefs: [FBBuilder.Ref] = []
        for f in schema.fields { fieldRefs.append(try encodeField(f, &b, nextDictionaryID: &nextDictionaryID)) }
        let fieldsVec = b.vector(of: fieldRefs)
        let md = encodeMetadata(schema.metadata, &b)
        b.startTable()
        b.field(1, ref: fieldsVec)
        if let md { b.field(2, ref: md) }
        b.field(0, Int16(0))  // little endian
        return b.endTable()
    }

    static func encodeMetadata(_ md: [String: String], _ b: inout FBBuilder) -> FBBuilder.Ref? {
        if md.isEmpty { return nil }
        var kvs: [FBBuilder.Ref] = []
        for (k, v) in md.sorted(by: { $0.key < $1.key }) {
            let ks = b.string(k), vs = b.string(v)
            b.startTable()
            b.field(0, ref: ks)
            b.field(1, ref: vs)
            kvs.append(b.endTable())
        }
        return b.vector(of: kvs)
    }

    static func encodeField(_ f: Field, _ b: inout FBBuilder, nextDictionaryID: inout Int64) throws -> FBBuilder.Ref {
        var valueType = f.type
        var dictionary: FBBuilder.Ref?
        if case .dictionary(let index, let value) = f.type {
            guard index.isInteger else { throw LanceError.invalid("dictionary index type \(index)") }
            valueType = value
            let id = nextDictionaryID
            nextDictionaryID += 1
            let it = encodeInt(index, &b)
            b.startTable()
            b.field(0, id)
            b.field(1, ref: it)
            dictionary = b.endTable()
        }
        var childRefs: [FBBuilder.Ref] = []
        for c in valueType.children { childRefs.append(try encodeField(c, &b, nextDictionaryID: &nextDictionaryID)) }
        let children = b.vector(of: childRefs)
        let (typeID, typeRef) = try encodeType(valueType, &b)
        let name = b.string(f.name)
        let md = encodeMetadata(f.metadata, &b)
        b.startTable()
        b.field(0, ref: name)
        b.field(3, ref: typeRef)
        if let dictionary { b.field(4, ref: dictionary) }
        b.field(5, ref: children)
        if let md { b.field(6, ref: md) }
        b.field(2, typeID.rawValue)
        b.field(1, UInt8(f.nullable ? 1 : 0))
        return b.endTable()
    }

    static func encodeInt(_ t: DataType, _ b: inout FBBuilder) -> FBBuilder.Ref {
        b.startTable()
        b.field(0, Int32(t.bitWidth ?? 32))
        b.field(1, UInt8(t.isSignedInteger ? 1 : 0))
        return b.endTable()
    }

    static func encodeType(_ t: DataType, _ b: inout FBBuilder) throws -> (ArrowTypeID, FBBuilder.Ref) {
        func empty(_ id: ArrowTypeID) -> (ArrowTypeID, FBBuilder.Ref) {
            b.startTable()
            return (id, b.endTable())
        }
        switch t {
        case .null: return empty(.null)
        case .bool: return empty(.bool)
        case .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64: return (.int, encodeInt(t, &b))
        case .float16, .float32, .float64:
            b.startTable()
            b.field(0, Int16(t == .float16 ? 0 : t == .float32 ? 1 : 2))
            return (.floatingPoint, b.endTable())
        case .utf8: return empty(.utf8)
        case .largeUtf8: return empty(.largeUtf8)
        case .binary: return empty(.binary)
        case .largeBinary: return empty(.largeBinary)
        case .fixedSizeBinary(let w):
            b.startTable()
            b.field(0, Int32(w))
            return (.fixedSizeBinary, b.endTable())
        case .decimal128(let p, let s):
            b.startTable()
            b.field(0, Int32(p))
            b.field(1, Int32(s))
            b.field(2, Int32(128))
            return (.decimal, b.endTable())
        case .date32, .date64:
            b.startTable()
            b.field(0, Int16(t == .date32 ? 0 : 1))
            return (.date, b.endTable())
        case .timestamp(let unit, let tz):
            let tzRef = tz.map { b.string($0) }
            b.startTable()
            if let tzRef { b.field(1, ref: tzRef) }
            b.field(0, Int16(TimeUnit.allCases.firstIndex(of: unit)!))
            return (.timestamp, b.endTable())
        case .list: return empty(.list)
        case .largeList: return empty(.largeList)
        case .fixedSizeList(_, let n):
            b.startTable()
            b.field(0, Int32(n))
            return (.fixedSizeList, b.endTable())
        case .struct: return empty(.structType)
        case .dictionary:
            throw LanceError.unsupported("a dictionary of dictionaries in Arrow IPC")
        }
    }
}
