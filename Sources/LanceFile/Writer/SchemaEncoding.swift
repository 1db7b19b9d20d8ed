import Foundation
import LanceArrow
import LanceCore
import LanceProto

extension LanceSchema {
    /// A Lance schema for an Arrow schema, numbering fields pre-order from `firstId` (0 by default),
    /// the way pylance numbers a new dataset's or file's fields.
    public init(assigningIdsTo schema: Schema, firstId: Int32 = 0) {
        var next = firstId
        func make(_ f: Field) -> LanceField {
            let id = next
            next += 1
            let kids: [LanceField]
            switch f.type {
            case .struct(let fs): kids = fs.map(make)
            case .list(let item), .largeList(let item): kids = [make(item)]
            default: kids = []
            }
            return LanceField(id: id, name: f.name, type: f.type, nullable: f.nullable, metadata: f.metadata,
                              children: kids, logicalType: LanceSchema.logicalType(of: f.type))
        }
        self.init(fields: schema.fields.map(make), metadata: schema.metadata)
    }

    /// The Lance logical type string of an Arrow type (the inverse of ``arrowType(logicalType:children:fieldName:)``).
    public static func logicalType(of type: DataType) -> String {
        switch type {
        case .null: return "null"
        case .bool: return "bool"
        case .int8: return "int8"
        case .int16: return "int16"
        case .int32: return "int32"
        case .int64: return "int64"
        case .uint8: return "uint8"
        case .uint16: return "uint16"
        case .uint32: return "uint32"
        case .uint64: return "uint64"
        case .float16: return "halffloat"
        case .float32: return "float"
        case .float64: return "double"
        case .utf8: return "string"
        case .largeUtf8: return "large_string"
        case .binary: return "binary"
        case .largeBinary: return "large_binary"
        case .fixedSizeBinary(let n): return "fixed_size_binary:\(n)"
        case .date32: return "date32:day"
        case .date64: return "date64:ms"
        case .timestamp(let unit, let tz): return "timestamp:\(unit.rawValue):\(tz ?? "-")"
        case .decimal128(let p, let s): return "decimal:128:\(p):\(s)"
        case .list(let item):
            if case .struct = item.type { return "list.struct" }
            return "list"
        case .largeList(let item):
            if case .struct = item.type { return "large_list.struct" }
            return "large_list"
        case .fixedSizeList(let item, let n): return "fixed_size_list:\(logicalType(of: item.type)):\(n)"
        case .struct: return "struct"
        case .dictionary(let index, let value): return "dict:\(logicalType(of: value)):\(logicalType(of: index)):false"
        }
    }

    /// The flat, pre-order `lance.file.Field` list of this schema.
    package func protoFields() -> [Lance_File_Field] {
        var out: [Lance_File_Field] = []
        func add(_ f: LanceField, parent: Int32) {
            var p = Lance_File_Field()
            p.name = f.name
            p.id = f.id
            p.parentID = parent
            p.logicalType = f.logicalType.isEmpty ? LanceSchema.logicalType(of: f.type) : f.logicalType
            p.nullable = f.nullable
            switch f.type {
            case .struct: p.encoding = .none
            case .utf8, .largeUtf8, .binary, .largeBinary: p.encoding = .varBinary
            case .dictionary: p.encoding = .dictionary
            default: p.encoding = .plain
            }
            p.extensionName = f.extensionName
            for (k, v) in f.metadata { p.metadata[k] = Data(v.utf8) }
            out.append(p)
            for c in f.children { add(c, parent: f.id) }
        }
        for f in fields { add(f, parent: -1) }
        return out
    }

    /// The `lance.file.Schema` message of this schema.
    func protoSchema() -> Lance_File_Schema {
        var s = Lance_File_Schema()
        s.fields = protoFields()
        for (k, v) in metadata { s.metadata[k] = Data(v.utf8) }
        return s
    }
}
