/// A data file a run reads, recorded by content (path, size, SHA-256) like any captured file, so that two
/// runs on different data are told apart even when their code is the same. Its path is relative to the
/// folder given to `InputData.describe` when inside it, else absolute.
public typealias InputFile = CapturedFile
