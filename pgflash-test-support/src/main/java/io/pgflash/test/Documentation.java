package io.pgflash.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The project's documentation as tests read it: the README and the guide's pages in {@code docs/}, so a test that
 * checks an example is shown finds it on whichever page shows it.
 */
public final class Documentation {

    private Documentation() {
    }

    /** The README and every page of {@code docs/}, one after the other. */
    public static String all() {
        StringBuilder text = new StringBuilder();
        for (Path page : pages()) {
            try {
                text.append(Files.readString(page)).append('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return text.toString();
    }

    /** The README, then the pages of {@code docs/} in name order. */
    public static List<Path> pages() {
        Path root = projectRoot();
        List<Path> pages = new ArrayList<>(List.of(root.resolve("README.md")));
        try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
            docs.filter(path -> path.toString().endsWith(".md")).sorted().forEach(pages::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pages;
    }

    /** The checkout's root: the nearest directory up from the working directory with the README and docs/. */
    public static Path projectRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("docs"))) {
                return dir;
            }
        }
        throw new IllegalStateException("No README.md with a docs/ directory above " + Path.of("").toAbsolutePath());
    }
}
