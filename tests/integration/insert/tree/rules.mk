# Included by ../Makefile: a sub-make rule from an included makefile.
x:
	$(MAKE) -C x 2>>$(LOGS)/d2
