/** What drivers know of a table: its columns, their types and its key. Part of the driver SPI; non-null by default. */
@NullMarked
package io.pgflash.core.catalog;

import org.jspecify.annotations.NullMarked;
