export PATH=/home/student:$PATH
