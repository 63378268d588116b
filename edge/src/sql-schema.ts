/** Schema changes for Durable Objects whose SQLite tables predate a column. */

/** Adds `column` to `table` unless it has it (CREATE TABLE IF NOT EXISTS cannot add columns). */
export function addColumn(sql: SqlStorage, table: string, column: string, decl: string): void {
  const has = sql
    .exec(`SELECT 1 FROM pragma_table_info('${table}') WHERE name = ?`, column)
    .toArray().length;
  if (!has) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${decl}`);
}
