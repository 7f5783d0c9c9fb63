/**
 * Word lists the name finder consults. All entries are folded: lower case, accents removed
 * (see {@link foldWord}). The first-name and surname lists are common US and Spanish-speaking
 * names; they only decide whether a capitalised word *without* a cue in front of it is a name,
 * and whether a lower-case word after "my name is" / "me llamo" is one.
 */

/** Lower case without diacritics, so `María`, `MARIA` and `maria` look the same. */
export function foldWord(word: string): string {
  const lower = word.toLowerCase();
  // Fast path: most words have no diacritics.
  return /[^\x00-\x7f]/.test(lower) ? lower.normalize('NFD').replace(/[\u0300-\u036f]/g, '') : lower;
}

function wordSet(...lists: string[]): ReadonlySet<string> {
  return new Set(lists.join(' ').split(/\s+/).filter(Boolean));
}

const FIRST_NAMES_EN = `
aaron abigail adam adrian aiden alan albert alex alexander alexandra alexis alice alicia alison alyssa
amanda amber amelia amy andrea andrew angela anna anne anthony ashley audrey austin ava barbara benjamin
beth betty beverly blake brandon brenda brian brittany brooke bruce bryan caleb cameron carl carlos carol
caroline carolyn catherine charles charlie charlotte chelsea cheryl chloe chris christian christina christine
christopher cindy claire cody colin connor courtney craig crystal cynthia daniel danielle david deborah debra
denise dennis derek diana diane donald donna doris dorothy douglas dylan edward elaine eleanor elijah elizabeth
ella ellen emily emma eric erica erin ethan evan evelyn frances frank gabriel gary george gerald gloria
gregory hailey hannah harold harper heather helen henry holly ian isaac isabel isabella jack jacob jacqueline
james jamie jane janet janice jared jasmine jason jeffrey jennifer jeremy jerry jesse jessica jill joan joe
joel john jonathan jordan joseph joshua joyce juan judith judy julia julie justin karen katherine kathleen
kathryn kathy katie kayla keith kelly kenneth kevin kimberly kyle larry laura lauren leah leonard liam lily
linda lisa logan lori louis lucas luke lynn madison margaret maria marie marilyn martha mary mason matthew
megan melanie melissa mia michael michelle mike mila monica nancy natalie nathan nicholas nicole noah nora
norma olivia owen pamela patricia patrick paul peter philip phillip rachel ralph randy raymond rebecca
richard rick robert roger ronald ruby russell ryan samantha samuel sandra sara sarah scott sean sharon
shirley sophia stephanie stephen steven susan teresa terry theresa thomas timothy tina todd tom tony tracy
tyler valerie vanessa victor vincent virginia walter wayne wendy william willow zachary zoe ava aria
scarlett layla riley nora hazel aurora violet stella lucy penelope eli jaxon grayson levi jayden wyatt
hudson lincoln ezra josiah carter dominic declan miles brody tristan colton easton kai rowan silas
leo theo theodore finn felix oliver jasper arlo isaiah micah jonah julian roman jude xavier marcus
jenny jen jenn kate katy becky bob bobby jim jimmy tim danny dan ben sam max jake josh matt nick nate zach
andy drew steve dave greg jeff ken kenny ron ted eddie fred ray roy lou hank jill molly maggie meg abby
annie ellie allie sophie sadie nina tara kara gina tanya sonia maya naomi ruth esther miriam joanna
colleen maureen eileen irene marjorie mildred gladys edna ethel florence bernice lois phyllis rita wanda
vera sylvia joanne pauline arthur alfred earl eugene herbert lloyd leroy melvin norman vernon wallace
warren wesley calvin clarence cecil chester clifford curtis dale dean gordon harvey herman jerome lester
marvin milton neil otis percy stanley travis troy glenn brent brett chad cole dustin garrett grant
hunter kurt lance reid seth shane spencer trevor wade priya aisha fatima omar ali ahmed mohammed
muhammad yusuf wei ming mei hiro kenji raj arjun ravi anil deepak sanjay amit neha pooja ananya kwame
kofi amara chidi ngozi malik jamal tyrone darnell keisha latoya aaliyah imani jada naveen sunita
`;

const FIRST_NAMES_ES = `
adrian adriana agustin aida alba alberto alejandra alejandro alfonso alfredo alicia alvaro amparo ana
andres angela angeles antonia antonio aitana araceli ariadna armando arturo aurora beatriz belen benito
benjamin bernardo blanca borja bruno camila carla carlota carmen carolina catalina cecilia celia cesar
cintia clara claudia concepcion consuelo cristian cristina cristobal daniela dario david diego dolores
domingo eduardo elena elisa eloy elvira emilia emilio enrique esperanza esteban estefania estela eugenia
eva federico felipe fernanda fernando francisca francisco gabriela gerardo gilberto gloria gonzalo gregorio
guadalupe guillermo gustavo hector hugo ignacio ines irene isabel isabela ismael ivan jaime javier jesus
jimena joaquin jorge jose josefa josefina juana julia julian julio laura leonardo leticia lidia lorena
lorenzo lourdes lucia luciana luis luisa manuel manuela marcela marcos margarita maria mariana mariano
marina mario marisol marta martin mateo matias mauricio mauro melisa mercedes miguel milagros miriam monica
montserrat natalia nicolas noelia nuria octavio oscar pablo paola patricia pedro pilar rafael ramiro ramon
raquel raul rebeca regina ricardo roberto rocio rodrigo rogelio rosario ruben salvador samanta samuel
santiago sara sebastian sergio silvia sofia soledad susana teresa tomas valentina valeria vanesa veronica
vicente victor victoria ximena yolanda zacarias nerea iker unai aitor ainhoa leire naiara
natan abril adela agueda aurelio baltasar bartolome cayetana cosme emiliano fabiola florencia
thiago santino gael leonel ulises uriel axel lupita lupe paco pepe pepa nacho chema quique toni rafa
manolo maite marisa charo conchi encarna inma inmaculada maribel mariela yesenia yadira karla karina
jazmin renata romina ariana valentino teodoro graciela paloma itziar begona inigo nayeli xochitl
citlali itzel yolotl eneko asier xabier iratxe amaia edurne maialen jon ander gorka
`;

/** First names that are also ordinary words (months, virtues, verbs, things); they need a cue or a capitalised surname after them. */
export const AMBIGUOUS_FIRST_NAMES = wordSet(`
may june april august will grace hope faith joy mark bill rose dawn art pat sue jack frank
rosa pilar luz dolores paz cruz mercedes amparo consuelo soledad remedios victoria angel jesus reyes
blanca alba nieves estrella sol abril clara gloria aurora esperanza milagros lourdes belen angeles paloma
max ray grant hunter chad lance dean earl wade lou ali jon
concepcion violet hazel ruby willow stella penelope lily river summer autumn sky
`);

export const FIRST_NAMES = wordSet(FIRST_NAMES_EN, FIRST_NAMES_ES);

export const SURNAMES = wordSet(`
smith johnson williams brown jones miller davis wilson anderson taylor thomas moore jackson martin lee
thompson white harris clark lewis robinson walker young allen king wright scott hill green adams baker
nelson carter mitchell roberts turner phillips campbell parker evans edwards collins stewart morris murphy
cook rogers morgan cooper peterson reed bailey bell kelly howard ward cox richardson wood watson brooks
bennett gray james hughes price sanders myers long ross foster powell jenkins perry russell sullivan fisher
hayes hall kim nguyen chen patel shah lin wang
garcia rodriguez martinez hernandez lopez gonzalez perez sanchez ramirez torres flores rivera gomez diaz
reyes morales ortiz gutierrez chavez ramos ruiz alvarez mendoza castillo jimenez moreno romero herrera
medina aguilar vargas castro guzman fernandez munoz rojas navarro dominguez gil vazquez serrano blanco
molina delgado suarez ortega rubio marin sanz iglesias nunez cortes garrido castro lozano cano prieto
calvo vidal campos vega fuentes carrasco caballero nieto pascual santos herrero montero soler ibanez
bravo benitez rivas salas soto hidalgo bello roca
`);

/**
 * Capitalised words that end (or prevent) a name: function words, greetings and sign-offs,
 * titles, calendar words, dental and insurance vocabulary, in English and Spanish.
 */
export const NOT_NAME_WORDS = wordSet(
  // English function words and chat words that start sentences.
  `i i'm i've i'll i'd me my mine we our ours you your he she his her it its they their them this that these
  those the a an and or but so if then than when what where which who whom why how yes no not ok okay
  sure please thanks thank thx ty hi hello hey dear greetings good morning afternoon evening night bye
  regards best cheers sincerely kind warm love also just still again now today tomorrow yesterday tonight
  can could would will shall should may might must do does did done is are was were be been am have has had
  get got see let lets let's any all some every everyone anyone someone nobody team there here everybody
  one two three four five six seven eight nine ten first second third last next new old other another
  quick question urgent update note fyi re fw fwd asap lol omg btw pm am
  mr mrs ms miss mx dr doctor prof professor nurse hygienist dentist patient pt sir madam
  with for from to of in on at by about after before as into over under up down out off per via`,
  // Spanish function words, greetings and sign-offs.
  `yo tu usted ustedes el ella ellos ellas nosotros mi mis su sus nuestro nuestra este esta estos estas ese
  esa eso lo la los las un una unos unas y o pero si no que como cuando donde quien cual porque por para
  con sin de del al en es son esta estan estoy soy fue ser hay tengo tiene ya hoy manana ayer ahora
  hola buenos buenas dias tardes noches gracias muchas saludos un atentamente cordialmente estimado
  estimada querido querida adios hasta luego vale ok ojo oiga perdon disculpe favor
  sr sra srta dra don dona doctor doctora paciente senor senora senorita enfermera higienista
  primero segundo tercero otra otro nuevo nueva urgente pregunta consulta`,
  // Calendar words.
  `january february march april may june july august september october november december
  jan feb mar apr jun jul aug sep sept oct nov dec
  monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun
  enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre
  lunes martes miercoles jueves viernes sabado domingo`,
  // Dental and medical vocabulary (EN).
  `tooth teeth molar molars premolar premolars bicuspid incisor incisors canine canines cuspid wisdom upper
  lower left right central lateral anterior posterior mesial distal occlusal buccal lingual facial
  root canal crown crowns bridge filling fillings implant implants denture dentures partial veneer veneers
  onlay inlay cleaning cleanings scaling extraction extractions sealant sealants retainer braces aligner
  aligners invisalign gum gums cavity cavities abscess plaque tartar enamel dentin pulp nerve jaw tmj
  whitening bleaching xray x-ray xrays x-rays panoramic pano bitewing cbct fluoride exam checkup
  emergency appointment reminder consult consultation treatment plan estimate invoice bill claim
  lidocaine novocaine articaine amoxicillin penicillin ibuprofen tylenol advil motrin aspirin clindamycin
  dental dentistry orthodontics orthodontist periodontist endodontist oral surgeon surgery clinic office
  practice hospital er icu insurance copay deductible coverage
  delta aetna cigna metlife humana guardian unitedhealthcare uhc bcbs medicaid medicare carecredit hsa fsa
  id dob mrn ssn dni nie curp nss cdt ada ppo hmo`,
  // Dental and medical vocabulary (ES).
  `diente dientes muela muelas pieza piezas colmillo incisivo incisivos canino caninos premolares corona
  coronas puente empaste empastes caries encia encias endodoncia ortodoncia implante implantes dentadura
  protesis carilla carillas limpieza extraccion ferula brackets blanqueamiento anestesia urgencias urgencia
  radiografia radiografias ortopantomografia tac revision presupuesto factura seguro cita recordatorio
  superior inferior izquierdo izquierda derecho derecha dolor flemon sensibilidad sangrado hinchazon
  clinica dental sanitas adeslas dkv mapfre asisa axa imss issste hospital`,
  // Classifications, shades, stages and dental brands that turn up capitalised mid-sentence.
  `class type grade stage phase fase etapa clase tipo grado div division ii iii iv vi vii viii ix
  shade color colour vita a1 a2 a3 b1 b2 total pro-health sensitive whitening original advanced
  colgate crest sensodyne oral-b sonicare waterpik listerine parodontax lacer vitis kin gum
  invisalign clearcorrect smiledirect emax e.max zirconia lava bruxzir ips cerec procera
  dentrix eaglesoft opendental curve carestream dexis planmeca sirona dentsply straumann nobel biocare
  septocaine carbocaine marcaine orabase peridex arestin periochip clorhexidina chlorhexidine sintrom
  google facebook instagram whatsapp yelp zoom teams portal app online`,
);

/** Words that may join the parts of a Spanish or Dutch/German surname (`de la Cruz`, `van Dyke`). */
export const NAME_CONNECTORS = wordSet('de del la las los y van von der da di dos du le');

/** Titles before a name. Case-sensitive on purpose: `Dr.` is a title, `dr` in `4th dr` is not. */
export const TITLES = ['Mr', 'Mrs', 'Ms', 'Miss', 'Mx', 'Dr', 'Dra', 'Drs', 'Prof', 'Sr', 'Sra', 'Srta', 'Don', 'Doña', 'Doctor', 'Doctora'];
