import Base

/// A wrong `validation` or `profiles` section of `backtest-rpc.json`: which key (a dotted path, with file names in
/// brackets: `profiles.signals.files["signals.csv"].min_rows`) and what was wrong with it. The sections are read
/// with the one config reader (`ConfigReader`), so this is its error.
public typealias ValidationConfigError = ConfigError
