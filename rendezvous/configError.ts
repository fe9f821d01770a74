// A configuration problem, reported as one line naming where the bad value came from.

export class ConfigError extends Error {
  constructor(
    /** Where the value came from: `config.ini: [port] chat_server_port = 99999` or `--port 99999`. */
    readonly source: string,
    readonly problem: string,
  ) {
    super(`${source}: ${problem}`);
    this.name = 'ConfigError';
  }
}
