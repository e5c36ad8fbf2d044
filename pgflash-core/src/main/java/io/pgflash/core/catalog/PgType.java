package io.pgflash.core.catalog;

import org.jspecify.annotations.Nullable;

/**
 * A column type reduced to what decoding needs: the built-in type to read the text as (domains resolved to their
 * base type), or for arrays the element type and delimiter.
 *
 * @param oid the type as declared (a domain's own oid, for messages)
 * @param baseOid the type whose text format is read: the domain's base type, or {@code oid}
 * @param element the element type for array types, else null
 * @param delimiter the array delimiter ({@code ,} for all but box)
 * @param sqlName the type as {@code format_type} shows it, for messages
 */
public record PgType(int oid, int baseOid, @Nullable PgType element, char delimiter, String sqlName) {

    public boolean isArray() {
        return element != null;
    }
}
