package io.pgflash.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.test.Documentation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Java example in the README and the guide in docs/ is code of a test somewhere in the build, between
 * {@code // README-START} and {@code // README-END} lines: so it compiles, and most of them run. An example that is
 * changed on the page alone, or in the code alone, fails here.
 */
class DocumentationExamplesTest {

    private static final Path ROOT = Documentation.projectRoot();
    private static final Pattern JAVA_BLOCK = Pattern.compile("^```java\\n(.*?)^```$",
            Pattern.DOTALL | Pattern.MULTILINE);
    private static final Pattern REGION = Pattern.compile(
            "^[ \\t]*// README-START[^\\n]*\\n(.*?^[ \\t]*)// README-END", Pattern.DOTALL | Pattern.MULTILINE);
    private static final Pattern CODE_BLOCK = Pattern.compile("^```.*?^```$", Pattern.DOTALL | Pattern.MULTILINE);
    private static final Pattern LINK = Pattern.compile("\\]\\(((?!https?:)[^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("^#+ (.*)$", Pattern.MULTILINE);
    /** A page's example may close the braces its region leaves open: the test goes on inside them. */
    private static final Pattern CLOSING_LINES = Pattern.compile("(\\n[ \\t]*[})]+;?[ \\t]*)+\\s*$");

    @Test
    void everyJavaExampleOnThePagesIsTheCodeOfATest() throws IOException {
        List<String> regions = regionsOfTests();
        List<String> missing = new ArrayList<>();
        int examples = 0;
        for (Path page : Documentation.pages()) {
            Matcher block = JAVA_BLOCK.matcher(Files.readString(page));
            while (block.find()) {
                examples++;
                String example = comparable(block.group(1));
                if (!regions.contains(example)) {
                    missing.add(ROOT.relativize(page) + ":\n" + block.group(1));
                }
            }
        }
        assertThat(examples).as("Java examples found on the pages").isGreaterThan(10);
        assertThat(missing).as("examples no test has between README-START and README-END, as they are").isEmpty();
    }

    @Test
    void everyLinkBetweenThePagesLeadsToAFileAndHeadingThatExist() throws IOException {
        List<String> broken = new ArrayList<>();
        for (Path page : Documentation.pages()) {
            String text = CODE_BLOCK.matcher(Files.readString(page)).replaceAll("");
            Matcher link = LINK.matcher(text);
            while (link.find()) {
                String target = link.group(1);
                String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
                Path linked = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
                if (!Files.exists(linked)) {
                    broken.add(ROOT.relativize(page) + ": " + target);
                } else if (target.contains("#") && linked.toString().endsWith(".md")
                        && !anchors(linked).contains(target.substring(target.indexOf('#') + 1))) {
                    broken.add(ROOT.relativize(page) + ": " + target + " (no such heading)");
                }
            }
        }
        assertThat(broken).as("links to files or headings that do not exist").isEmpty();
    }

    /** The anchors GitHub gives a page's headings: lower case, spaces as dashes, other punctuation dropped. */
    private static List<String> anchors(Path page) throws IOException {
        List<String> anchors = new ArrayList<>();
        Matcher heading = HEADING.matcher(CODE_BLOCK.matcher(Files.readString(page)).replaceAll(""));
        while (heading.find()) {
            anchors.add(heading.group(1).strip().toLowerCase(Locale.ROOT)
                    .replaceAll("[^\\p{L}\\p{N}_\\- ]", "").replace(' ', '-'));
        }
        return anchors;
    }

    private static List<String> regionsOfTests() throws IOException {
        List<String> regions = new ArrayList<>();
        try (Stream<Path> files = Files.walk(ROOT)) {
            for (Path file : files.filter(path -> path.toString().endsWith(".java")
                    && path.toString().contains("/src/test/java/")).toList()) {
                Matcher region = REGION.matcher(Files.readString(file));
                while (region.find()) {
                    regions.add(comparable(region.group(1).stripIndent()));
                }
            }
        }
        return regions;
    }

    private static String comparable(String code) {
        return CLOSING_LINES.matcher("\n" + code.strip()).replaceFirst("").strip();
    }
}
