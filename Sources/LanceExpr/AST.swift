import LanceCore

/// A literal value in a filter expression.
enum Literal: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
}

enum BinaryOp: String, Sendable {
    case eq = "=", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%"
    case and = "AND", or = "OR"
    case concat = "||"

    var isComparison: Bool { [.eq, .ne, .lt, .le, .gt, .ge].contains(self) }
    var isArithmetic: Bool { [.add, .sub, .mul, .div, .mod].contains(self) }
}

/// A parsed (unbound) expression node; `pos` is the 1-based character position in the text.
struct Node: Sendable {
    indirect enum Kind: Sendable {
        case column([String])
        case literal(Literal)
        case typedLiteral(DataType, String)          // DATE '…', TIMESTAMP '…'
        case negate(Node)
        case not(Node)
        case binary(BinaryOp, Node, Node)
        case isNull(Node, negated: Bool)
        case isBool(Node, value: Bool, negated: Bool)  // IS [NOT] TRUE/FALSE
        case inList(Node, [Node], negated: Bool)
        case between(Node, Node, Node, negated: Bool)
        case like(Node, Node, negated: Bool, caseInsensitive: Bool, escape: Character?)
        case cast(Node, DataType)
        case caseWhen(operand: Node?, branches: [(Node, Node)], otherwise: Node?)
        case function(String, [Node])
        case array([Node])
        case index(Node, Node)                        // list[i] (1-based)
    }
    var kind: Kind
    var pos: Int

    init(_ kind: Kind, _ pos: Int) {
        self.kind = kind
        self.pos = pos
    }

    /// Top-level column names, in first-use order.
    func collectColumns(into out: inout [String]) {
        func add(_ n: Node) { n.collectColumns(into: &out) }
        switch kind {
        case .column(let path): if !out.contains(path[0]) { out.append(path[0]) }
        case .literal, .typedLiteral: break
        case .negate(let a), .not(let a), .isNull(let a, _), .isBool(let a, _, _), .cast(let a, _): add(a)
        case .binary(_, let a, let b), .index(let a, let b): add(a); add(b)
        case .inList(let a, let l, _): add(a); l.forEach(add)
        case .between(let a, let b, let c, _): add(a); add(b); add(c)
        case .like(let a, let b, _, _, _): add(a); add(b)
        case .caseWhen(let o, let br, let e):
            if let o { add(o) }
            for (w, t) in br { add(w); add(t) }
            if let e { add(e) }
        case .function(_, let args), .array(let args): args.forEach(add)
        }
    }
}
