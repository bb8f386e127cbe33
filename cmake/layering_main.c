/* Linked with every object of gaitlab_core and nothing of src/cli (CMakeLists.txt): it
 * builds only while no stage refers to a command. */
int main(void) { return 0; }
