import LanceArrow
import LanceCore
import LanceProto

/// A field of a Lance schema: an Arrow field plus the integer id that data files and manifests use.
///
/// Lance stores a schema as a flat, pre-order list of `lance.file.Field` messages linked by
/// `parent_id`; this is the tree form. List fields have one child (the item); struct fields have
/// their members; fixed-size lists have none (the item type is in the logical type).
public struct LanceField: Sendable, Hashable {
    public var id: Int32
    public var name: String
    /// The Arrow type, children included.
    public var type: DataType
    public var nullable: Bool
    public var metadata: [String: String]
    public var children: [LanceField]
    /// The logical type string as stored (`int64`, `fixed_size_list:float:768`, …).
    public var logicalType: String
    public var extensionName: String

    public init(id: Int32, name: String, type: DataType, nullable: Bool, metadata: [String: String] = [:],
                children: [LanceField] = [], logicalType: String, extensionName: String = "") {
        self.id = id
        self.name = name
        self.type = type
        self.nullable = nullable
        self.metadata = metadata
        self.children = children
        self.logicalType = logicalType
        self.extensionName = extensionName
    }

    /// The Arrow field.
    public var arrowField: Field { Field(name, type, nullable: nullable, metadata: metadata) }

    /// This field and all descendants, pre-order.
    public var preorder: [LanceField] { [self] + children.flatMap(\.preorder) }

    /// Finds a descendant (or self) by id.
    public func find(id: Int32) -> LanceField? {
        if self.id == id { return self }
        for c in children { if let f = c.find(id: id) { return f } }
        return nil
    }
}

/// A Lance schema: top-level fields with ids, plus schema metadata.
public struct LanceSchema: Sendable, Hashable {
    public var fields: [LanceField]
    public var metadata: [String: String]

    public init(fields: [LanceField], metadata: [String: String] = [:]) {
        self.fields = fields
        self.metadata = metadata
    }

    /// The Arrow schema.
    public var arrowSchema: Schema { Schema(fields.map(\.arrowField), metadata: metadata) }

    public func field(named name: String) -> LanceField? { fields.first { $0.name == name } }

    /// Every field, pre-order.
    public var allFields: [LanceField] { fields.flatMap(\.preorder) }

    /// The largest field id in use (-1 when empty).
    public var maxFieldId: Int32 { allFields.map(\.id).max() ?? -1 }

    /// Builds the tree from the flat protobuf list. Throws `corruptFile` for dangling parents and
    /// `unsupported` for logical types Lancelet cannot represent.
    public init<B: Collection>(protoFields: [Lance_File_Field], metadata: [String: B]) throws where B.Element == UInt8 {
        var byParent: [Int32: [Lance_File_Field]] = [:]
        var ids = Set<Int32>()
        for f in protoFields {
            byParent[f.parentID, default: []].append(f)
            ids.insert(f.id)
        }
        for p in byParent.keys where p != -1 && !ids.contains(p) {
            throw LanceError.corrupt("schema field parent id \(p) does not exist")
        }
        func build(_ f: Lance_File_Field, depth: Int) throws -> LanceField {
            guard depth < 64 else { throw LanceError.corrupt("schema nesting deeper than 64 levels") }
            let kids = try (byParent[f.id] ?? []).filter { $0.id != f.id }.map { try build($0, depth: depth + 1) }
            let type = try LanceSchema.arrowType(logicalType: f.logicalType, children: kids, fieldName: f.name)
            var md: [String: String] = [:]
            for (k, v) in f.metadata { md[k] = String(decoding: v, as: UTF8.self) }
            return LanceField(id: f.id, name: f.name, type: type, nullable: f.nullable, metadata: md,
                              children: kids, logicalType: f.logicalType, extensionName: f.extensionName)
        }
        fields = try (byParent[-1] ?? []).map { try build($0, depth: 0) }
        var md: [String: String] = [:]
        for (k, v) in metadata { md[k] = String(decoding: v, as: UTF8.self) }
        self.metadata = md
    }

    /// Parses a Lance logical type string.
    public static func arrowType(logicalType lt: String, children: [LanceField], fieldName: String) throws -> DataType {
        func fail() -> LanceError {
            LanceError(.unsupported, "logical type `\(lt)` is not supported", column: fieldName)
        }
        switch lt {
        case "null": return .null
        case "bool": return .bool
        case "int8": return .int8
        case "int16": return .int16
        case "int32": return .int32
        case "int64": return .int64
        case "uint8": return .uint8
        case "uint16": return .uint16
        case "uint32": return .uint32
        case "uint64": return .uint64
        case "halffloat": return .float16
        case "float": return .float32
        case "double": return .float64
        case "string": return .utf8
        case "large_string": return .largeUtf8
        case "binary": return .binary
        case "large_binary": return .largeBinary
        case "date32:day": return .date32
        case "date64:ms": return .date64
        case "struct": return .struct(children.map(\.arrowField))
        case "list", "list.struct":
            guard children.count == 1 else { throw LanceError.corrupt("list field `\(fieldName)` has \(children.count) children") }
            return .list(children[0].arrowField)
        case "large_list", "large_list.struct":
            guard children.count == 1 else { throw LanceError.corrupt("list field `\(fieldName)` has \(children.count) children") }
            return .largeList(children[0].arrowField)
        default: break
        }
        let parts = lt.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.first {
        case "timestamp":
            guard parts.count >= 3, let unit = TimeUnit(rawValue: parts[1]) else { throw fail() }
            let tz = parts[2...].joined(separator: ":")
            return .timestamp(unit, timezone: tz == "-" ? nil : tz)
        case "fixed_size_binary":
            guard parts.count == 2, let n = Int(parts[1]), n > 0 else { throw fail() }
            return .fixedSizeBinary(n)
        case "fixed_size_list":
            // fixed_size_list:<item logical type, may contain ':'>:<n>
            guard parts.count >= 3, let n = Int(parts.last!), n > 0 else { throw fail() }
            let inner = parts[1 ..< parts.count - 1].joined(separator: ":")
            if inner == "lance.bfloat16" { throw fail() }
            // A list of structs keeps its item as a child field (`item`, type struct).
            if inner == "struct" {
                guard children.count == 1, case .struct = children[0].type else {
                    throw LanceError.corrupt("fixed-size list field `\(fieldName)` has \(children.count) children")
                }
                return .fixedSizeList(children[0].arrowField, n)
            }
            let item = try arrowType(logicalType: inner, children: children, fieldName: fieldName)
            return .fixedSizeList(Field("item", item, nullable: true), n)
        case "decimal":
            guard parts.count == 4, parts[1] == "128", let p = Int(parts[2]), let s = Int(parts[3]) else { throw fail() }
            return .decimal128(precision: p, scale: s)
        case "dict":
            // dict:<value type>:<index type>:<ordered>
            guard parts.count == 4 else { throw fail() }
            let value = try arrowType(logicalType: parts[1], children: [], fieldName: fieldName)
            let index = try arrowType(logicalType: parts[2], children: [], fieldName: fieldName)
            guard index.isInteger else { throw fail() }
            return .dictionary(index: index, value: value)
        default:
            throw fail()
        }
    }
}
