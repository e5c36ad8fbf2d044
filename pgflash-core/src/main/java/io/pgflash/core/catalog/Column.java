package io.pgflash.core.catalog;


/**
 * A table column: its name (exact) and type.
 *
 * @param generated a stored generated column, which logical replication does not send
 */
public record Column(String name, PgType type, boolean generated) {

    public Column(String name, PgType type) {
        this(name, type, false);
    }
}
