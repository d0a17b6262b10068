// Runs the shared library's tests: `groovy jenkins/test/run.groovy` from the repository
// root (or JIRA_SEND_LIBRARY=path/to/jenkins). Tests that run the real binary take it
// from JIRA_SEND_TEST_BINARY.
import org.junit.internal.TextListener
import org.junit.runner.JUnitCore

File library = new File(System.getenv('JIRA_SEND_LIBRARY') ?: 'jenkins').canonicalFile
GroovyClassLoader loader = new GroovyClassLoader(getClass().classLoader)
loader.addClasspath(new File(library, 'src').path)
loader.addClasspath(new File(library, 'test').path)
// Files holding several classes are compiled first, so that their classes are known.
['Pipeline', 'Declarative', 'FakeJira', 'StepsFixture'].each { loader.parseClass(new File(library, "test/${it}.groovy")) }
List<Class> tests = new File(library, 'test').listFiles()
    .findAll { it.name.endsWith('Test.groovy') }
    .sort { it.name }
    .collect { loader.parseClass(it) }

JUnitCore junit = new JUnitCore()
junit.addListener(new TextListener(System.out))
def result = junit.run(tests as Class[])
System.exit(result.wasSuccessful() ? 0 : 1)
