package io.pgflash.core;

/** The kind of row change. */
public enum Operation {
    INSERT, UPDATE, DELETE, TRUNCATE
}
