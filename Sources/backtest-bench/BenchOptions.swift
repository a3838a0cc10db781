/// A suite's command-line options, read in order: `--name value` pairs and bare `--flag`s.
enum BenchOptions {
    /// Calls `handle` with each option and a function that takes the option's value (the next argument; an
    /// error "<option> needs a value" when there is none). `handle` throws for an option it does not know.
    static func parse(_ arguments: [String],
                      _ handle: (_ option: String, _ value: () throws -> String) throws -> Void) throws {
        var i = 0
        while i < arguments.count {
            let option = arguments[i]
            try handle(option) {
                guard i + 1 < arguments.count else { throw CaptureBench.Failure(description: "\(option) needs a value") }
                i += 1
                return arguments[i]
            }
            i += 1
        }
    }
}
