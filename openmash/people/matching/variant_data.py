"""Given-name variants: diminutives (short forms) and spellings of the same name, as data.

Two kinds of line, one group a line, every name already normalised (lower case, no accents):

* ``= a b c``: spellings of one name (Jayden, Jaden, Jaiden). The first is the group's spelling
  head. A name may be in at most one spelling group.
* ``full: d1 d2 …``: short forms and pet names of a full name (William: Bill, Will, Liam). A short
  form may belong to several full names (Alex → Alexander, Alexandra, Alexis); then it is a variant
  of each of them, but those full names are *not* variants of each other (a boy Alexander and his twin
  sister Alexandra are two people).

Spellings are applied first, so Kate (a short form of Catherine) is also a short form of Katherine
and Kathryn. Sources: common usage in England and Wales and ONS baby-name lists, for the mix of
heritages found in a London borough (English, Irish, Scottish, Welsh, South Asian, Arabic and
Somali, West African, Caribbean, Polish and other Eastern European, Portuguese, Turkish).
"""

SPELLINGS = """
= jayden jaden jaiden jaydon jaydan jaidon jaeden jadon
= aiden aidan ayden aydan aidyn
= brandon brandan
= kayden kaden caden kaiden caiden cayden
= braydon brayden braiden
= muhammad mohammed mohammad mohamed muhammed mohamad mohammod muhamad mohd mahamed mohamud maxamed
= ahmed ahmad ahmet ahmid
= mustafa mustapha mostafa
= yusuf yousef yusef yousuf yosef youssef
= ibrahim ebrahim ibraheem
= ismail ismael esmail
= hussain hussein husain hossain husein
= hassan hasan
= hamza hamzah
= ali aly
= abdullah abdulla abdallah
= abdul abdel
= omar umar omer
= usman uthman osman othman
= yasin yaseen yassin
= rayan rayyan raiyan
= zain zayn zane zayne
= ayaan ayan
= idris idrees
= bilal belal
= tariq tarik tareq
= faisal faysal feisal
= imran imraan
= khalid khaled
= suleiman sulaiman suleyman sulayman
= aisha ayesha aysha aishah ayisha aicha
= fatima fatimah fatema fathima
= maryam mariam maryum
= zainab zaynab zeinab
= khadija khadijah khadeeja
= amina aminah ameena
= hafsa hafsah
= safiya safiyah safia
= noor nur nour
= yasmin yasmine jasmine jasmin yasmeen
= sara sarah
= hannah hanna
= leah lea leia
= sophia sofia sofiya
= isabella isabela izabella
= isabel isobel isabelle izabel ysabel
= elizabeth elisabeth
= catherine katherine kathryn katharine catharine kathrine cathryn
= caitlin caitlyn katelyn kaitlyn
= rebecca rebekah
= rachel rachael
= stephen steven stephan stefan
= stephanie stefanie
= philip phillip filip
= jonathan johnathan jonathon
= matthew mathew
= nicholas nicolas nikolas
= michael micheal mikael michal
= mikey mikie
= geoffrey jeffrey jeffery
= frederick frederic fredrick
= lewis louis luis
= sean shaun shawn
= shane shayne
= gary garry
= alan allan allen
= brian bryan
= neil neal niall
= dominic dominik
= zachary zachery zakary
= isaac issac isaak
= jacob jakob
= callum calum
= ryan rian
= kieran ciaran kieron
= rhys reece reese rees
= evan ewan euan
= owen owain
= dylan dillon
= harvey harvie
= alfie alfi
= freddie freddy
= teddy teddie
= charlie charley
= archie archy
= jessica jesica
= natalie nathalie natalee
= madison maddison madisyn
= layla leila laila lailah leyla
= kayla kaila
= chloe chloey khloe
= zoe zoey zoie
= aaliyah aliyah aaliya alia aliya
= amelia amelie
= imogen imogene
= eleanor elinor eleanore elenor
= evelyn evelynn eveline
= evie evey
= ellie elly
= millie milly
= maisie maisy
= lacey lacie
= lily lilly lillie
= grace gracie
= phoebe pheobe
= freya freja
= niamh neve nieve
= siobhan shivaun
= megan meghan meagan
= lauren loren
= kirsty kirstie kirsten
= ashley ashleigh
= leigh lee
= shannon shanon
= louise louisa
= caroline carolyn
= deborah debra
= teresa theresa
= anne ann
= annie anny
= joanne joanna johanna
= josephine josefine
= jacqueline jacquelyn
= katie katy katey kaytee
= debbie debby
= jenny jennie
= vicky vicki vickie
= nicky nicki nikki
= becky becki
= cathy kathy
= kate cate kait
= kat cat
= dave davey
= johnny jonny
= zak zac zach zack
= jake jaik
= harry harri
= olly ollie
= tommy tommie
= billy billie
= bobby bobbie
= jimmy jimmie
= danny dannie
= stevie stevey
= mattie matty
= nicola nichola
= aleksander aleksandr
= aleksandra oleksandra
= katarzyna katarina katerina katrina
= malgorzata margareta
= wojciech wojtek
= krzysztof kristof
= oluwaseun oluseun
= oluwatobi olutobi
= oluwafemi olufemi
= oluwadamilare damilare
= temitope temitayo
= emmanuel immanuel emanuel
= mehmet mehmed
= ayse ayshe
= francisco fransisco
= ioan ion
= andrei andrey andrej
= mihai mihail mikhail
= dmitri dmitry dimitri
= ekaterina yekaterina
= yuliya yulia julija
= tatiana tatyana
= natalia natalya natalija
= anastasia anastasiya
= mariana marianna
= luca luka
= lucas lukas
= nathan nathen
= ethan ethen
= mason mayson
= logan logen
= riley reilly rylee
= oscar oskar
= theo teo
= sebastian sebastien
= elliot elliott eliot
= mathias matthias
= arlo arlow
= reggie reggy
= ronnie ronny
= georgia georgiah
= darcy darcey darcie
= amber ambre
= tyler tylor
= jordan jordon
= mackenzie mckenzie makenzie
= tiana tianna
= shanice shaniece
= tyrese tyreese tyreece
= deshawn dashawn
= jermaine germaine
= ebony ebonie
= chantelle shantelle chantel
= kelly kelley
= david dawid
= aaron aron arron
= connor conor
= darren daren
= denis dennis
= finley finlay finlee
= finn fin
= graham graeme grahame
= jamal jamaal
= jason jayson
= lawrence laurence
= mark marc
= reuben ruben rueben
= stuart stewart
= kimberley kimberly
= alicia alisha alesha
= alison allison alyson
= amy aimee
= anna ana
= brooke brook
= carly carley carlie
= claire clare
= esme esmee
= gemma jemma
= hayley haley hailey
= holly hollie
= jodie jody jodi
= kayleigh kayley kaylee
= leanne lianne leeann
= lindsay lindsey
= molly mollie
= paige page
= scarlett scarlet
= sienna siena
= skye sky
= tegan teagan teigan
= zara zarah
= aria arya
= maya maia mya myah
= rashid rasheed
= nasir naseer
= hamid hameed
= majid majeed
= zahid zaheed
= waheed wahid
= javed javaid
= nasreen nasrin
= parveen parvin perveen
= shamima shameema
= rukhsana ruksana
= ruqayyah ruqayya ruqaya
= sumaya sumaiya sumayyah
= inaya inaaya
= anaya anaaya
= hayden haydn haiden
"""

DIMINUTIVES = """
william: bill billy will willy willie liam wills
robert: bob bobby rob robbie robby bert bertie
richard: rick ricky dick dickie rich richie
edward: ed eddie ted teddy ned
edwin: ed eddie
edmund: ed eddie ned
theodore: theo ted teddy
james: jim jimmy jamie jamesy jem
john: jack johnny jock jon
jonathan: jon jonny
thomas: tom tommy thom
christopher: chris kit topher
christian: chris
christine: chris chrissie tina
christina: chris chrissie tina
charles: charlie chas chuck chaz
charlotte: charlie lottie lotte char
alexander: alex alexi sandy xander lex sasha
alexandra: alex alexa lexi sasha sandy
alexis: alex lexi
andrew: andy drew
anthony: tony ant
antonia: toni
benjamin: ben benny benji
daniel: dan danny dani
danielle: dani elle
david: dave davy
joseph: joe joey jo
josephine: jo josie
joanne: jo jojo
jessica: jess jessie
jennifer: jen jenny jenna
jonah: jon
joshua: josh
matthew: matt mattie
michael: mike mick mickey mikey mick
nicholas: nick nicky nico
nicola: nicky nikki
nicole: nicky nikki
samuel: sam sammy
samantha: sam sammy
patrick: pat paddy
patricia: pat patty trish tricia
peter: pete
philip: phil pip
stephen: steve stevie
stephanie: steph stevie
timothy: tim timmy
zachary: zak
frederick: fred freddie
alfred: alf alfie fred freddie
albert: al bert bertie
herbert: bert herb
henry: harry hal hank
harrison: harry
harold: harry hal
gerald: gerry
geraldine: gerry
gregory: greg
kenneth: ken kenny
lawrence: laurie larry
leonard: len lenny leo
leon: leo
leonardo: leo
raymond: ray
reginald: reg reggie
ronald: ron ronnie
donald: don donnie
douglas: doug
terence: terry tel
francis: frank frankie fran
frances: fran frankie
francesca: fran frankie chesca
gabriel: gabe
isaac: ike
jacob: jake jakey
abraham: abe
nathan: nat nate
nathaniel: nat nate nathan
oliver: ollie olly
olivia: liv livvy
archibald: archie
arthur: art artie
rupert: rupe
stanley: stan
walter: walt wally
vincent: vince vinny
victoria: vicky tori
virginia: ginny
elizabeth: liz lizzie lizzy beth betty bess bessie eliza libby lizbeth
eliza: liza
isabella: bella izzy issy
isabel: bella izzy issy
annabel: bella anna
arabella: bella
margaret: maggie meg peggy mags marge madge greta
marjorie: marge margie
mary: molly polly mae
catherine: kate katie cathy kat kitty
caitlin: cat
rebecca: becky becca
deborah: debbie deb
susan: sue susie
suzanne: sue suzy
dorothy: dot dotty dolly
eleanor: ellie nell nellie elle
ellen: ellie nell
helen: nell
emily: em emmy millie
emma: em emmy
amelia: millie
emilia: millie
mildred: millie
camilla: milly
matilda: tilly tilda
abigail: abby abbie gail
gabriella: gabby
gabrielle: gabby
georgina: georgie gina
georgia: georgie
george: georgie
jacqueline: jackie jacqui
josephine: jo josie
judith: judy
katherine: kate katie kath kat
madeleine: maddie maddy
madison: maddie maddy
mariam: mimi
natalie: nat
natasha: tash tasha
olivia: livvy
penelope: penny
rosemary: rosie
rose: rosie
roseanne: rosie
sarah: sally
sophia: sophie soph
valerie: val
veronica: ronnie
wilhelmina: mina
winifred: winnie
zoe: zo
amanda: mandy manda
miranda: randi
andrea: andi
beatrice: bea trixie
cassandra: cass cassie
cecilia: cissie
charlene: charlie
constance: connie
cynthia: cindy
evelyn: evie
eve: evie
gwendolyn: gwen
jane: janey
janet: jan
janice: jan
julia: jules
juliet: jules
julian: jules
katrina: kat trina
kimberley: kim
lucinda: lucy
louisa: lou lulu
louise: lou
lucy: lu
madeline: maddie
martha: mattie
melanie: mel
melissa: mel missy
nancy: nan
pamela: pam
phyllis: phyl
priscilla: cilla
prudence: prue
rachel: rach
samira: sami
sebastian: seb bastian
solomon: sol
theresa: tess tessa terry
tobias: toby
dominic: dom
maximilian: max
maxwell: max
maximus: max
kevin: kev
lindsay: lindy
ruth: ruthie
augustus: gus
angus: gus
fergus: gus
callum: cal
calvin: cal
declan: dec
seamus: shay
padraig: paddy
siobhan: shiv
gwilym: gwil
llewellyn: llew
dafydd: dai dave
gareth: gaz
gary: gaz
barry: baz
sharon: shaz
tracey: trace
carolyn: carol carrie
caroline: carol carrie caz
harriet: hattie
henrietta: hettie etta
jemima: jem mima
imogen: immy
ophelia: ophie
rosalind: ros roz
rosalyn: ros roz
esther: essie
agnes: aggie nessa
vanessa: nessa ness
anastasia: stacey stasia nastya
muhammad: mo mohd
mustafa: mus
abdullah: abdul
abdulrahman: abdul
abdulaziz: abdul aziz
abdirahman: abdi
abdikadir: abdi
abdullahi: abdi
ibrahim: ibby ibi
ismail: izzy
yusuf: yus
hussain: huss
suleiman: sully
zainab: zee
fatima: fati
khadija: dija
aisha: aish
oluwaseun: seun
oluwatobi: tobi
oluwafemi: femi
oluwadamilare: dami
oluwatosin: tosin tosi
oluwakemi: kemi
olufunmilayo: funmi funmilayo
oluwatoyin: toyin
olumide: mide
oluwaseyi: seyi
oluwatimilehin: timi
temitope: tope temi
babatunde: tunde
abimbola: bimbo bimpe
adebayo: bayo
adewale: wale
chukwuemeka: emeka
chukwudi: chudi
chinonso: nonso
chiamaka: amaka
kwabena: kobby
katarzyna: kasia kaska
malgorzata: gosia malgosia
aleksander: olek alek
aleksandra: ola
jakub: kuba
wojciech: wojtek
agnieszka: aga
krzysztof: krzys
tomasz: tomek
michal: michas
piotr: piotrek
joanna: asia
magdalena: magda
przemyslaw: przemek
grzegorz: grzesiek
zbigniew: zbyszek
stanislaw: stas
dmitri: dima
ekaterina: katya
yuliya: yulya
mikhail: misha
ivan: vanya
natalia: natasha
francisco: paco chico
jose: pepe
manuel: manny
guadalupe: lupe
giuseppe: beppe peppe
mehmet: memo
benedict: ben benny
bernard: bernie
bartholomew: bart
elijah: eli
ezekiel: zeke
jeremiah: jerry
jeremy: jerry jez
jerome: jerry
oswald: ozzy
percival: percy
roger: rog
rodney: rod
roderick: rod rory
russell: russ
simon: si
tristan: tris
wesley: wes
bradley: brad
cameron: cam
desmond: des
bethany: beth
evangeline: evie
kimberley: kim
"""

# Other given names in common use in England and Wales (ONS baby names, and the adults' generations),
# beyond those in the tables above. Only used to tell "two real names" from "a typing slip".
COMMON_GIVEN_NAMES = """
ava eva isla ivy ella mia maia rosa rose ruby poppy daisy iris florence ada edith alice elsie nora
lola luna aurora hallie orla erin ruth naomi esther miriam lydia leila maeve willow hazel harper
sienna thea bonnie emma anna hannah amy lucy emily grace sophie chloe jessica megan lauren olivia
charlotte amelia isabella mila elodie arabella matilda eliza violet penelope beatrice eloise jasmine
nancy summer autumn robyn holly georgia caitlin abigail phoebe bethany rebecca courtney danielle
natasha gemma kelly stacey sharon tracy tracey karen julie linda susan janet carol diane angela
helen sandra wendy joanne nicola claire lisa michelle sarah louise kerry donna dawn jane mandy
paula alison jackie joan jean sheila pat brenda pauline maureen doreen irene mavis gladys marion
sylvia valerie yvonne barbara shirley margaret mary elizabeth kathleen patricia dorothy
noah oliver george leo arthur harry oscar theo henry archie jack freddie charlie finley tommy
thomas william james isaac alfie jacob teddy lucas max ethan joshua muhammad mason reggie rory
albie ronnie elijah louie hugo jude roman tobias toby sebastian edward alexander arlo jesse ezra
hunter dexter rowan otis felix ralph stanley frankie sonny kai ryan dylan luke callum connor jordan
bradley liam aaron adam kyle reece nathan jake scott sam daniel matthew christopher michael david
paul mark andrew richard robert john peter stephen anthony kevin gary ian simon darren craig dean
lee wayne jason martin neil philip keith brian colin derek trevor graham alan barry kenneth roy
terry roger leslie dennis ronald raymond donald frank albert ernest harold stanley walter
joel caleb eli jonah levi micah reuben gabriel raphael zachary nathaniel benjamin samuel joseph
amir amira arjun aryan ayaan aarav dev krish rohan ravi raj vikram sanjay anil ashok deepak
priya anjali pooja neha sunita anita kavita meena lakshmi nisha riya diya isha aanya saanvi
zara sana hira iqra amna mahnoor anaya inaya hiba alina ayat mehak rabia saima nadia samina
fahad hamza bilal zubair arslan haris danyal rehan shahid rashid tahir asif arif aamir naveed
sheikh abu abdi abdirahman ahmed ali hassan hussain ibrahim ismail yusuf yasin zakaria idris
hodan ifrah ilhan hamdi sagal sahra ayan asha hibo muna nimco ubah warsan deeqa fadumo
kwame kofi kwaku yaw kojo ama akua adjoa efua abena esi ekow nana kwesi yaa adwoa
chidi chinedu chika ngozi nkechi obinna ikenna uchenna ifeoma adaeze amara kelechi chioma
tunde segun kunle ayo bola dayo seun tobi femi dami kemi funmi toyin tosin yemi bisi
precious blessing favour goodness mercy peace joy divine gift miracle praise success
kacper jakub szymon filip antoni jan stanislaw franciszek mikolaj aleksander wiktor piotr
zuzanna julia maja zofia hanna lena alicja oliwia natalia wiktoria amelia katarzyna agnieszka
andrei alexandru ionut mihai stefan gabriel razvan florin cristian vlad bogdan ana maria ioana
elena andreea alexandra daria bianca irina diana
mehmet mustafa emre burak can deniz yusuf elif zeynep ayse fatma emine hatice esra merve
joao pedro tiago rui miguel diogo goncalo ines beatriz mariana carolina rita catarina
mohammed marcus tyrone jermaine leroy winston delroy clive desmond errol lloyd marlon dwayne
shanice tanisha keisha latoya simone janelle chantelle jade kiara tia precious
"""
