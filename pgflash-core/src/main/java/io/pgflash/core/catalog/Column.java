package io.pgflash.core.catalog;

import io.pgflash.core.value.PgType;

/** A table column: its name (exact) and type. */
public record Column(String name, PgType type) {
}
