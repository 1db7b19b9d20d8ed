import LanceCore

/// Recursive-descent parser of the filter dialect (DataFusion/sqlparser precedence:
/// OR < AND < NOT < IS/comparison/IN/BETWEEN/LIKE < + - < * / % || < unary minus < :: . []).
struct Parser {
    var tokens: [Token]
    var i = 0
    var depth = 0
    static let maxDepth = 200

    init(_ text: String) throws { tokens = try tokenize(text) }

    var tok: Token { tokens[i] }

    mutating func advance() { if i < tokens.count - 1 { i += 1 } }

    func isKeyword(_ k: String, offset: Int = 0) -> Bool {
        let j = min(i + offset, tokens.count - 1)
        if case .ident(let s) = tokens[j].kind { return s.uppercased() == k }
        return false
    }

    func isOp(_ o: String) -> Bool {
        if case .op(let s) = tok.kind { return s == o }
        return false
    }

    mutating func acceptKeyword(_ k: String) -> Bool {
        if isKeyword(k) { advance(); return true }
        return false
    }

    mutating func acceptOp(_ o: String) -> Bool {
        if isOp(o) { advance(); return true }
        return false
    }

    func describe(_ t: Token) -> String {
        switch t.kind {
        case .ident(let s): return "`\(s)`"
        case .quotedIdent(let s): return "identifier \"\(s)\""
        case .string(let s): return "string '\(s)'"
        case .number(let s): return "number \(s)"
        case .op(let s): return "`\(s)`"
        case .end: return "end of input"
        }
    }

    func unexpected(_ expected: String) -> LanceError {
        exprError("expected \(expected), found \(describe(tok))", at: tok.pos)
    }

    mutating func expectOp(_ o: String) throws {
        guard acceptOp(o) else { throw unexpected("`\(o)`") }
    }

    mutating func expectKeyword(_ k: String) throws {
        guard acceptKeyword(k) else { throw unexpected(k) }
    }

    mutating func parseTop() throws -> Node {
        if case .end = tok.kind { throw exprError("empty expression", at: tok.pos) }
        let n = try parseExpr()
        guard case .end = tok.kind else {
            throw unexpected("an operator or the end of the expression")
        }
        return n
    }

    mutating func nest<T>(_ body: (inout Parser) throws -> T) throws -> T {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Parser.maxDepth else { throw exprError("expression nested too deeply", at: tok.pos) }
        return try body(&self)
    }

    mutating func parseExpr() throws -> Node { try nest { try $0.parseOr() } }

    mutating func parseOr() throws -> Node {
        var l = try parseAnd()
        while isKeyword("OR") {
            let p = tok.pos; advance()
            l = Node(.binary(.or, l, try parseAnd()), p)
        }
        return l
    }

    mutating func parseAnd() throws -> Node {
        var l = try parseNot()
        while isKeyword("AND") {
            let p = tok.pos; advance()
            l = Node(.binary(.and, l, try parseNot()), p)
        }
        return l
    }

    mutating func parseNot() throws -> Node {
        if isKeyword("NOT") {
            let p = tok.pos; advance()
            return Node(.not(try nest { try $0.parseNot() }), p)
        }
        return try parsePredicate()
    }

    mutating func parsePredicate() throws -> Node {
        var l = try parseAdditive()
        while true {
            let p = tok.pos
            if case .op(let o) = tok.kind, ["=", "!=", "<>", "<", "<=", ">", ">="].contains(o) {
                advance()
                let op: BinaryOp = switch o {
                case "=": .eq
                case "!=", "<>": .ne
                case "<": .lt
                case "<=": .le
                case ">": .gt
                default: .ge
                }
                l = Node(.binary(op, l, try parseAdditive()), p)
                continue
            }
            if isKeyword("IS") {
                advance()
                let negated = acceptKeyword("NOT")
                if acceptKeyword("NULL") { l = Node(.isNull(l, negated: negated), p); continue }
                if acceptKeyword("TRUE") { l = Node(.isBool(l, value: true, negated: negated), p); continue }
                if acceptKeyword("FALSE") { l = Node(.isBool(l, value: false, negated: negated), p); continue }
                throw unexpected("NULL, TRUE or FALSE after IS\(negated ? " NOT" : "")")
            }
            var negated = false
            if isKeyword("NOT") && (isKeyword("IN", offset: 1) || isKeyword("BETWEEN", offset: 1)
                || isKeyword("LIKE", offset: 1) || isKeyword("ILIKE", offset: 1)) {
                advance(); negated = true
            }
            if acceptKeyword("IN") {
                try expectOp("(")
                var items: [Node] = []
                if !isOp(")") {
                    repeat { items.append(try parseExpr()) } while acceptOp(",")
                }
                try expectOp(")")
                l = Node(.inList(l, items, negated: negated), p)
                continue
            }
            if acceptKeyword("BETWEEN") {
                let lo = try parseAdditive()
                try expectKeyword("AND")
                let hi = try parseAdditive()
                l = Node(.between(l, lo, hi, negated: negated), p)
                continue
            }
            if isKeyword("LIKE") || isKeyword("ILIKE") {
                let ci = isKeyword("ILIKE")
                advance()
                let pattern = try parseAdditive()
                var escape: Character?
                if acceptKeyword("ESCAPE") {
                    guard case .string(let e) = tok.kind, e.count == 1 else {
                        throw unexpected("a one-character string after ESCAPE")
                    }
                    escape = e.first
                    advance()
                }
                l = Node(.like(l, pattern, negated: negated, caseInsensitive: ci, escape: escape), p)
                continue
            }
            if negated { throw unexpected("IN, BETWEEN, LIKE or ILIKE after NOT") }
            return l
        }
    }

    mutating func parseAdditive() throws -> Node {
        var l = try parseMultiplicative()
        while true {
            let p = tok.pos
            if acceptOp("+") { l = Node(.binary(.add, l, try parseMultiplicative()), p) }
            else if acceptOp("-") { l = Node(.binary(.sub, l, try parseMultiplicative()), p) }
            else { return l }
        }
    }

    mutating func parseMultiplicative() throws -> Node {
        var l = try parseUnary()
        while true {
            let p = tok.pos
            if acceptOp("*") { l = Node(.binary(.mul, l, try parseUnary()), p) }
            else if acceptOp("/") { l = Node(.binary(.div, l, try parseUnary()), p) }
            else if acceptOp("%") { l = Node(.binary(.mod, l, try parseUnary()), p) }
            else if acceptOp("||") { l = Node(.binary(.concat, l, try parseUnary()), p) }
            else { return l }
        }
    }

    mutating func parseUnary() throws -> Node {
        let p = tok.pos
        if acceptOp("-") {
            // A negative number literal is one literal (so that -9223372036854775808 is an int64).
            if case .number(let s) = tok.kind {
                let q = tok.pos
                advance()
                let lit = try Parser.number("-" + s, at: q)
                return try parsePostfix(Node(.literal(lit), p))
            }
            return Node(.negate(try nest { try $0.parseUnary() }), p)
        }
        if acceptOp("+") { return try nest { try $0.parseUnary() } }
        return try parsePostfix(try parsePrimary())
    }

    static func number(_ s: String, at pos: Int) throws -> Literal {
        if let v = Int64(s) { return .int(v) }
        if let d = Double(s) { return .float(d) }
        throw exprError("malformed number `\(s)`", at: pos)
    }

    mutating func parsePostfix(_ start: Node) throws -> Node {
        var n = start
        while true {
            let p = tok.pos
            if acceptOp("::") {
                n = Node(.cast(n, try parseType()), p)
            } else if isOp(".") {
                advance()
                let name: String
                switch tok.kind {
                case .ident(let s), .quotedIdent(let s): name = s
                default: throw unexpected("a field name after `.`")
                }
                advance()
                if case .column(let path) = n.kind {
                    n = Node(.column(path + [name]), n.pos)
                } else {
                    n = Node(.function("get_field", [n, Node(.literal(.string(name)), p)]), p)
                }
            } else if acceptOp("[") {
                let idx = try parseExpr()
                try expectOp("]")
                n = Node(.index(n, idx), p)
            } else {
                return n
            }
        }
    }

    static let reserved: Set<String> = ["AND", "OR", "NOT", "IS", "IN", "BETWEEN", "LIKE", "ILIKE", "ESCAPE",
                                         "THEN", "WHEN", "ELSE", "END", "AS"]

    mutating func parsePrimary() throws -> Node {
        let t = tok
        let p = t.pos
        switch t.kind {
        case .number(let s):
            advance()
            return Node(.literal(try Parser.number(s, at: p)), p)
        case .string(let s):
            advance()
            return Node(.literal(.string(s)), p)
        case .quotedIdent(let s):
            advance()
            return Node(.column([s]), p)
        case .op("("):
            advance()
            let e = try parseExpr()
            try expectOp(")")
            return e
        case .op("["):
            advance()
            var items: [Node] = []
            if !isOp("]") {
                repeat { items.append(try parseExpr()) } while acceptOp(",")
            }
            try expectOp("]")
            return Node(.array(items), p)
        case .ident(let name):
            let upper = name.uppercased()
            switch upper {
            case "NULL": advance(); return Node(.literal(.null), p)
            case "TRUE": advance(); return Node(.literal(.bool(true)), p)
            case "FALSE": advance(); return Node(.literal(.bool(false)), p)
            case "CAST", "TRY_CAST":
                if case .op("(") = tokens[min(i + 1, tokens.count - 1)].kind {
                    advance(); advance()
                    let e = try parseExpr()
                    try expectKeyword("AS")
                    let type = try parseType()
                    try expectOp(")")
                    return Node(.cast(e, type), p)
                }
            case "CASE":
                advance()
                return try parseCase(at: p)
            case "DATE", "TIMESTAMP", "DATETIME":
                if case .string = tokens[min(i + 1, tokens.count - 1)].kind {
                    let type = try parseType()
                    guard case .string(let s) = tok.kind else { throw unexpected("a string literal") }
                    advance()
                    return Node(.typedLiteral(type, s), p)
                }
            default:
                break
            }
            if Parser.reserved.contains(upper) { throw unexpected("an expression") }
            advance()
            if isOp("(") {
                advance()
                var args: [Node] = []
                if !isOp(")") {
                    repeat { args.append(try parseExpr()) } while acceptOp(",")
                }
                try expectOp(")")
                return Node(.function(name.lowercased(), args), p)
            }
            return Node(.column([name]), p)
        default:
            throw unexpected("an expression")
        }
    }

    mutating func parseCase(at p: Int) throws -> Node {
        var operand: Node?
        if !isKeyword("WHEN") { operand = try parseExpr() }
        var branches: [(Node, Node)] = []
        while acceptKeyword("WHEN") {
            let w = try parseExpr()
            try expectKeyword("THEN")
            branches.append((w, try parseExpr()))
        }
        guard !branches.isEmpty else { throw unexpected("WHEN") }
        var otherwise: Node?
        if acceptKeyword("ELSE") { otherwise = try parseExpr() }
        try expectKeyword("END")
        return Node(.caseWhen(operand: operand, branches: branches, otherwise: otherwise), p)
    }

    /// SQL type names as Lance's planner maps them (plus VARCHAR/TEXT/INT8-style aliases).
    mutating func parseType() throws -> DataType {
        guard case .ident(let raw) = tok.kind else { throw unexpected("a type name") }
        let p = tok.pos
        advance()
        let name = raw.uppercased()
        func precision() throws -> Int? {
            guard acceptOp("(") else { return nil }
            guard case .number(let s) = tok.kind, let v = Int(s) else { throw unexpected("a number") }
            advance()
            try expectOp(")")
            return v
        }
        func unsigned() -> Bool { acceptKeyword("UNSIGNED") }
        switch name {
        case "BOOLEAN", "BOOL": return .bool
        case "TINYINT": _ = try precision(); return unsigned() ? .uint8 : .int8
        case "SMALLINT": _ = try precision(); return unsigned() ? .uint16 : .int16
        case "INT", "INTEGER": _ = try precision(); return unsigned() ? .uint32 : .int32
        case "BIGINT": _ = try precision(); return unsigned() ? .uint64 : .int64
        case "FLOAT", "REAL": _ = try precision(); return .float32
        case "DOUBLE":
            _ = acceptKeyword("PRECISION")
            return .float64
        case "STRING", "VARCHAR", "TEXT": _ = try precision(); return .utf8
        case "BINARY", "VARBINARY", "BYTEA", "BLOB": _ = try precision(); return .binary
        case "DATE": return .date32
        case "TIMESTAMP", "DATETIME":
            let unit: TimeUnit
            switch try precision() {
            case nil, 6: unit = .microsecond
            case 0: unit = .second
            case 3: unit = .millisecond
            case 9: unit = .nanosecond
            case let v?: throw exprError("unsupported timestamp precision \(v) (expected 0, 3, 6 or 9)", at: p)
            }
            if isKeyword("WITH") || isKeyword("WITHOUT") {
                throw exprError("time zones are not supported in TIMESTAMP", at: tok.pos)
            }
            return .timestamp(unit, timezone: nil)
        default:
            throw exprError("unsupported type `\(raw)` (expected one of BOOLEAN, TINYINT, SMALLINT, INT, BIGINT [UNSIGNED], FLOAT, DOUBLE, STRING, BINARY, DATE, TIMESTAMP)", at: p)
        }
    }
}
