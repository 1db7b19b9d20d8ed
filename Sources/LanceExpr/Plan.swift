import LanceCore

enum Function: String, Sendable {
    case lower, upper, trim, ltrim, rtrim, length, octetLength, startsWith, endsWith, contains
    case regexpMatch, regexpLike, abs, round, floor, ceil, sqrt, coalesce, nullif
    case arrayHas, arrayHasAny, arrayHasAll, arrayLength, concat, concatOp, isNaN

    static let byName: [String: Function] = [
        "lower": .lower, "upper": .upper, "trim": .trim, "btrim": .trim, "ltrim": .ltrim, "rtrim": .rtrim,
        "length": .length, "char_length": .length, "character_length": .length, "octet_length": .octetLength,
        "starts_with": .startsWith, "ends_with": .endsWith, "contains": .contains,
        "regexp_match": .regexpMatch, "regexp_like": .regexpLike,
        "abs": .abs, "round": .round, "floor": .floor, "ceil": .ceil, "sqrt": .sqrt,
        "coalesce": .coalesce, "nullif": .nullif,
        "array_has": .arrayHas, "list_has": .arrayHas, "array_contains": .arrayHas,
        "array_has_any": .arrayHasAny, "list_has_any": .arrayHasAny,
        "array_has_all": .arrayHasAll, "list_has_all": .arrayHasAll,
        "array_length": .arrayLength, "list_length": .arrayLength, "cardinality": .arrayLength,
        "concat": .concat, "isnan": .isNaN,
    ]
}

/// A bound, type-checked expression tree; evaluated column-at-a-time.
indirect enum Plan: Sendable {
    case column(name: String, path: [String], type: DataType)
    case constant(Col)
    case cast(Plan, DataType, pos: Int)
    case compare(BinaryOp, Plan, Plan)
    case arith(BinaryOp, Plan, Plan, DataType, pos: Int)
    case and(Plan, Plan)
    case or(Plan, Plan)
    case not(Plan)
    case negate(Plan, pos: Int)
    case isNull(Plan, negated: Bool)
    case isBool(Plan, value: Bool, negated: Bool)
    case inList(Plan, [Plan], negated: Bool)
    case like(Plan, Plan, negated: Bool, caseInsensitive: Bool, escape: Character?)
    case caseWhen([(Plan, Plan)], Plan?, DataType)
    case call(Function, [Plan], DataType, pos: Int)
    case makeArray([Plan], DataType)
    case getField(Plan, Int, DataType)
    case index(Plan, Plan, DataType)

    var type: DataType {
        switch self {
        case .column(_, _, let t), .cast(_, let t, _), .arith(_, _, _, let t, _), .caseWhen(_, _, let t),
             .call(_, _, let t, _), .makeArray(_, let t), .getField(_, _, let t), .index(_, _, let t):
            return t
        case .constant(let c): return c.type
        case .compare, .and, .or, .not, .isNull, .isBool, .inList, .like: return .bool
        case .negate(let p, _): return p.type
        }
    }

    var isColumnRef: Bool {
        if case .column = self { return true }
        return false
    }
}
