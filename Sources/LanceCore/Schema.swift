/// A named, typed column (or nested child) with Arrow field metadata.
public struct Field: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var type: DataType
    public var nullable: Bool
    public var metadata: [String: String]

    public init(_ name: String, _ type: DataType, nullable: Bool = true, metadata: [String: String] = [:]) {
        self.name = name
        self.type = type
        self.nullable = nullable
        self.metadata = metadata
    }

    public var description: String { "\(name): \(type)\(nullable ? "" : " not null")" }
}

/// An ordered list of top-level fields with schema-level metadata.
public struct Schema: Sendable, Hashable, CustomStringConvertible {
    public var fields: [Field]
    public var metadata: [String: String]

    public init(_ fields: [Field], metadata: [String: String] = [:]) {
        self.fields = fields
        self.metadata = metadata
    }

    public var names: [String] { fields.map(\.name) }

    public func index(of name: String) -> Int? { fields.firstIndex { $0.name == name } }

    public func field(named name: String) -> Field? { fields.first { $0.name == name } }

    public var description: String { fields.map(\.description).joined(separator: "\n") }
}
